//go:build tools

// Package tools pins OpenELB, which netns labs run with `--controller
// openelb`. lblab builds its manager (one binary: controller, IPAM and the
// embedded GoBGP speaker) with `go build
// github.com/openelb/openelb/cmd/manager` in this module, so that its
// version and dependencies are exactly upstream's, and reads OpenELB's
// CRDs and RBAC from this module's copy of OpenELB in the Go module
// cache. The module proxy serves v0.5.0 and refuses newer releases
// (v0.5.1, v0.6.0: 403 "This module version is not available"). Its agent
// (cmd/agent) is not built: in v0.5.0 it starts a manager with nothing in
// it.
package tools

import _ "github.com/openelb/openelb/cmd/manager"
