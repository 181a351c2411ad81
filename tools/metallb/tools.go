//go:build tools

// Package tools pins MetalLB, which netns labs run with `--controller
// metallb`. lblab builds its controller and speaker with `go build
// go.universe.tf/metallb/<name>` in this module, so that their versions and
// dependencies are exactly upstream's, and reads MetalLB's CRDs and RBAC
// from this module's copy of MetalLB in the Go module cache.
package tools

import (
	_ "go.universe.tf/metallb/controller"
	_ "go.universe.tf/metallb/speaker"
)
