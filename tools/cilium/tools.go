//go:build tools

// Package tools pins Cilium v1.20.2 for a netns-backend ebpf data plane
// (issue 15, docs/cilium-netns.md). It builds, with CGO_ENABLED=0 and
// -tags osusergo as Cilium's Makefiles do:
//
//	go build -tags osusergo -ldflags "$LD" -o cilium-agent github.com/cilium/cilium/daemon
//	go build -tags osusergo -ldflags "$LD" github.com/cilium/cilium/cilium-dbg
//	go build -tags osusergo -ldflags "$LD" github.com/cilium/cilium/plugins/cilium-cni
//
// with LD='-X "github.com/cilium/cilium/pkg/version.ciliumVersion=1.20.2 v1.20.2 2026-09-15T20:03:11Z"'
// (version, revision, date: Cilium parses three fields; with "1.20.2" alone
// `cilium-dbg status` shows "Cilium: Ok (v-)").
//
// cilium-operator is not here: it imports sigs.k8s.io/mcs-api/controllers
// v0.5.2, which the module proxy does not serve.
package tools

import (
	_ "github.com/cilium/cilium/cilium-dbg"
	_ "github.com/cilium/cilium/daemon"
	_ "github.com/cilium/cilium/plugins/cilium-cni"
)
