package components

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lblab/lblab/internal/run"
)

// Pinned versions of the other LoadBalancer controllers; each must match
// its tools module's go.mod (a unit test checks). Newer releases did not
// build from the module proxy here (see the README's controller section).
const (
	// MetalLBVersion is the MetalLB that `--controller metallb` runs.
	MetalLBVersion = "v0.15.2"
	// KubeVIPVersion is the kube-vip that `--controller kube-vip` runs.
	KubeVIPVersion = "v1.0.0"
	// KubeVIPCloudProviderVersion allocates kube-vip's IPs.
	KubeVIPCloudProviderVersion = "v0.0.12"
	// OpenELBVersion is the OpenELB that `--controller openelb` runs.
	OpenELBVersion = "v0.5.0"
)

// The other controllers' binaries, as netns labs run them.
const (
	MetalLBController    = "metallb-controller"
	MetalLBSpeaker       = "metallb-speaker"
	KubeVIP              = "kube-vip"
	KubeVIPCloudProvider = "kube-vip-cloud-provider"
	OpenELBManager       = "openelb-manager"
)

// Controllers are the other LoadBalancer controllers' binaries. Resolve
// builds them only when named, into ControllerCacheDir.
var Controllers = []Component{
	{MetalLBController, "metallb", "go.universe.tf/metallb/controller", MetalLBVersion},
	{MetalLBSpeaker, "metallb", "go.universe.tf/metallb/speaker", MetalLBVersion},
	{KubeVIP, "kube-vip", "github.com/kube-vip/kube-vip", KubeVIPVersion},
	{KubeVIPCloudProvider, "kube-vip-cloud-provider", "github.com/kube-vip/kube-vip-cloud-provider", KubeVIPCloudProviderVersion},
	{OpenELBManager, "openelb", "github.com/openelb/openelb/cmd/manager", OpenELBVersion},
}

// ControllerCacheDir is where a controller's pinned builds live:
// <cache>/<module>/<version>, e.g. ~/.cache/lblab/metallb/v0.15.2.
func ControllerCacheDir(module, version string) string {
	return filepath.Join(CacheRoot(), module, version)
}

// ResolveControllers returns the named controller binaries: from binDir
// when set (--controller-bin-dir), else built and cached like the
// Kubernetes components, each in its tools module's cache directory.
func ResolveControllers(ctx context.Context, o Options, binDir string, names ...string) (Binaries, error) {
	out := Binaries{}
	for _, n := range names {
		c, ok := byName(n)
		if !ok {
			return nil, fmt.Errorf("unknown controller binary %q", n)
		}
		if binDir != "" {
			p := filepath.Join(binDir, n)
			if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
				return nil, fmt.Errorf("--controller-bin-dir %s lacks an executable %s; build %s %s under that name, "+
					"or leave --controller-bin-dir unset so that lblab builds it", binDir, n, c.Package, c.Version)
			}
			out[n] = p
			continue
		}
		oc := o
		if oc.CacheDir == "" {
			oc.CacheDir = ControllerCacheDir(c.Module, c.Version)
		}
		b, err := Resolve(ctx, oc, n)
		if err != nil {
			return nil, err
		}
		out[n] = b[n]
	}
	return out, nil
}

// ResolveMetalLB returns MetalLB's controller and speaker.
func ResolveMetalLB(ctx context.Context, o Options, binDir string) (Binaries, error) {
	return ResolveControllers(ctx, o, binDir, MetalLBController, MetalLBSpeaker)
}

// Source returns the directory of a tools module's dependency in the Go
// module cache (downloading it when missing), where a controller's CRDs
// and manifests are read: lblab applies their own files, never copies.
// module is the embedded tools module ("metallb"), path the dependency's
// module path (go.universe.tf/metallb).
func Source(ctx context.Context, o Options, module, path string) (string, error) {
	o.defaults()
	goCmd, err := o.LookGo()
	if err != nil {
		return "", fmt.Errorf("reading %s's manifests from its module needs the Go toolchain: %w", path, err)
	}
	work, err := os.MkdirTemp("", "lblab-src-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	if err := writeModule(module, work); err != nil {
		return "", err
	}
	out, err := o.Runner.Run(ctx, run.Cmd{Name: goCmd, Args: []string{"-C", work, "mod", "download", "-json", path},
		Env: []string{"GOWORK=off", "GOFLAGS=-mod=readonly"}})
	if err != nil {
		return "", fmt.Errorf("failed to find %s in the Go module cache or proxy: %w", path, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("failed to read `go mod download -json %s`: %w", path, err)
	}
	if m.Error != "" || m.Dir == "" {
		return "", fmt.Errorf("failed to download %s: %s", path, strings.TrimSpace(m.Error))
	}
	return m.Dir, nil
}

// MetalLBSource returns MetalLB's module directory (its CRDs in
// config/crd/bases, its manifests in config/manifests).
func MetalLBSource(ctx context.Context, o Options) (string, error) {
	return Source(ctx, o, "metallb", "go.universe.tf/metallb")
}
