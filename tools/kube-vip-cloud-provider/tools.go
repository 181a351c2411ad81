//go:build tools

// Package tools pins kube-vip-cloud-provider, which allocates the
// LoadBalancer IPs that kube-vip announces (`--controller kube-vip`).
// lblab builds it with `go build github.com/kube-vip/kube-vip-cloud-provider`
// in this module and reads its RBAC from this module's copy in the Go
// module cache.
package tools

import _ "github.com/kube-vip/kube-vip-cloud-provider"
