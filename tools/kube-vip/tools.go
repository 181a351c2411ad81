//go:build tools

// Package tools pins kube-vip, which netns labs run with `--controller
// kube-vip` (services mode, BGP). lblab builds it with `go build
// github.com/kube-vip/kube-vip` in this module, so that its version and
// dependencies are exactly upstream's. The module proxy serves v1.0.0
// (newer releases are refused) but the checksum database has no entry for
// it: go.sum holds the hash `go mod tidy` recorded with
// GONOSUMDB=github.com/kube-vip/kube-vip.
package tools

import _ "github.com/kube-vip/kube-vip"
