package components

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lblab/lblab/internal/run"
)

// MetalLBVersion is the MetalLB that `--controller metallb` runs; it must
// match tools/metallb/go.mod (a unit test checks). Newer releases did not
// build from the module proxy here (see the README's controller table).
const MetalLBVersion = "v0.15.2"

// MetalLB's binaries, as netns labs run them.
const (
	MetalLBController = "metallb-controller"
	MetalLBSpeaker    = "metallb-speaker"
)

// metalLBModule is MetalLB's module path, whose files (CRDs, manifests)
// MetalLBSource finds.
const metalLBModule = "go.universe.tf/metallb"

// Controllers are the other LoadBalancer controllers' binaries. Resolve
// builds them only when named, into ControllerCacheDir.
var Controllers = []Component{
	{MetalLBController, "metallb", metalLBModule + "/controller", MetalLBVersion},
	{MetalLBSpeaker, "metallb", metalLBModule + "/speaker", MetalLBVersion},
}

// ControllerCacheDir is where a controller's pinned builds live:
// <cache>/<module>/<version>, e.g. ~/.cache/lblab/metallb/v0.15.2.
func ControllerCacheDir(module, version string) string {
	return filepath.Join(CacheRoot(), module, version)
}

// ResolveMetalLB returns MetalLB's controller and speaker: from binDir when
// set (--controller-bin-dir), else built and cached like the Kubernetes
// components.
func ResolveMetalLB(ctx context.Context, o Options, binDir string) (Binaries, error) {
	names := []string{MetalLBController, MetalLBSpeaker}
	if binDir != "" {
		out := Binaries{}
		for _, n := range names {
			p := filepath.Join(binDir, n)
			if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
				return nil, fmt.Errorf("--controller-bin-dir %s lacks an executable %s; build MetalLB %s's controller and speaker "+
					"under those names, or leave --controller-bin-dir unset so that lblab builds them", binDir, n, MetalLBVersion)
			}
			out[n] = p
		}
		return out, nil
	}
	if o.CacheDir == "" {
		o.CacheDir = ControllerCacheDir("metallb", MetalLBVersion)
	}
	return Resolve(ctx, o, names...)
}

// MetalLBSource returns the directory of MetalLB's module in the Go module
// cache (downloading it when missing), where its CRDs
// (config/crd/bases) and manifests (config/manifests) are read: lblab
// applies MetalLB's own files, never copies.
func MetalLBSource(ctx context.Context, o Options) (string, error) {
	o.defaults()
	goCmd, err := o.LookGo()
	if err != nil {
		return "", fmt.Errorf("reading MetalLB's CRDs and RBAC from its module needs the Go toolchain: %w", err)
	}
	work, err := os.MkdirTemp("", "lblab-metallb-src-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	if err := writeModule("metallb", work); err != nil {
		return "", err
	}
	out, err := o.Runner.Run(ctx, run.Cmd{Name: goCmd, Args: []string{"-C", work, "mod", "download", "-json", metalLBModule},
		Env: []string{"GOWORK=off", "GOFLAGS=-mod=readonly"}})
	if err != nil {
		return "", fmt.Errorf("failed to find MetalLB %s in the Go module cache or proxy: %w", MetalLBVersion, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("failed to read `go mod download -json %s`: %w", metalLBModule, err)
	}
	if m.Error != "" || m.Dir == "" {
		return "", fmt.Errorf("failed to download MetalLB %s: %s", MetalLBVersion, m.Error)
	}
	return m.Dir, nil
}
