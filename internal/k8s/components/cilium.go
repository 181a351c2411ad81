package components

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CiliumVersion is the Cilium that `--dataplane ebpf` runs on netns nodes;
// it must match tools/cilium/go.mod (a unit test checks).
const CiliumVersion = "v1.20.2"

// ciliumVersionString is what Cilium's pkg/version parses: version,
// revision and release date. With the version alone, `cilium-dbg status`
// shows "Cilium: Ok (v-)".
const ciliumVersionString = "1.20.2 v1.20.2 2026-09-15T20:03:11Z"

// Cilium's binaries, as netns labs run them.
const (
	CiliumAgent = "cilium-agent"
	CiliumDbg   = "cilium-dbg"
	CiliumCNI   = "cilium-cni"
)

// Cilium lists Cilium's binaries. cilium-operator is not among them: it
// imports sigs.k8s.io/mcs-api/controllers, which the module proxy does not
// serve (docs/cilium-netns.md).
var Cilium = []Component{
	{CiliumAgent, "cilium", "github.com/cilium/cilium/daemon", CiliumVersion},
	{CiliumDbg, "cilium", "github.com/cilium/cilium/cilium-dbg", CiliumVersion},
	{CiliumCNI, "cilium", "github.com/cilium/cilium/plugins/cilium-cni", CiliumVersion},
}

// CiliumCacheDir is where the Cilium builds live, with the datapath
// sources and CRDs beside them: <cache>/cilium/<version>.
func CiliumCacheDir() string { return ControllerCacheDir("cilium", CiliumVersion) }

// CiliumBinDir is the directory of the cached Cilium binaries.
func CiliumBinDir() string { return filepath.Join(CiliumCacheDir(), "bin") }

// ClangPath is the clang that Cilium compiles its datapath with: Cilium
// 1.20 wants LLVM ≥ 18.1, and Debian 12's default clang is 14.
const ClangPath = "/usr/lib/llvm-19/bin/clang"

// CiliumInstall is what a netns node needs to run Cilium.
type CiliumInstall struct {
	Binaries
	// LibDir is the agent's --lib-dir: it holds bpf/, the datapath sources
	// the agent compiles at run time.
	LibDir string
	// CRDs are the CustomResourceDefinition files the operator would
	// register (there is no operator).
	CRDs []string
	// ClangDir holds `clang` (→ ClangPath), for the front of the agent's PATH.
	ClangDir string
}

// ErrNoClang says what to install when Cilium's compiler is missing.
var ErrNoClang = errors.New("dataplane ebpf needs clang ≥ 18 for Cilium's datapath, and " + ClangPath +
	" is missing; install the Debian package clang-19 (make setup does)")

// CheckClang reports whether Cilium's compiler is installed.
func CheckClang() error {
	if fi, err := os.Stat(ClangPath); err != nil || fi.Mode()&0o111 == 0 {
		return ErrNoClang
	}
	return nil
}

// ResolveCilium builds Cilium's binaries on first use (about 12 minutes
// cold on two cores) into <cache>/cilium/<version>, and lays out, beside
// them, the datapath sources and clang link the agent needs.
func ResolveCilium(ctx context.Context, o Options) (CiliumInstall, error) {
	if err := CheckClang(); err != nil {
		return CiliumInstall{}, err
	}
	var names []string
	for _, c := range Cilium {
		names = append(names, c.Name)
	}
	if o.CacheDir == "" {
		o.CacheDir = CiliumCacheDir()
	}
	dir := o.CacheDir
	bins, err := Resolve(ctx, o, names...)
	if err != nil {
		return CiliumInstall{}, err
	}
	out := CiliumInstall{Binaries: bins, LibDir: filepath.Join(dir, "lib"), ClangDir: filepath.Join(dir, "clang")}
	if _, err := os.Stat(filepath.Join(out.LibDir, ".complete")); err != nil {
		src, err := Source(ctx, o, "cilium", "github.com/cilium/cilium")
		if err != nil {
			return CiliumInstall{}, err
		}
		if err := copyTree(filepath.Join(src, "bpf"), filepath.Join(out.LibDir, "bpf")); err != nil {
			return CiliumInstall{}, fmt.Errorf("failed to copy Cilium's datapath sources: %w", err)
		}
		crds := filepath.Join(out.LibDir, "crds")
		for _, v := range []string{"v2", "v2alpha1"} {
			if err := copyTree(filepath.Join(src, "pkg/k8s/apis/cilium.io/client/crds", v), filepath.Join(crds, v)); err != nil {
				return CiliumInstall{}, fmt.Errorf("failed to copy Cilium's CRDs: %w", err)
			}
		}
		if err := os.WriteFile(filepath.Join(out.LibDir, ".complete"), []byte(CiliumVersion+"\n"), 0o644); err != nil {
			return CiliumInstall{}, err
		}
	}
	if out.CRDs, err = filepath.Glob(filepath.Join(out.LibDir, "crds", "*", "*.yaml")); err != nil || len(out.CRDs) == 0 {
		return CiliumInstall{}, fmt.Errorf("no Cilium CRDs under %s; remove %s to lay it out again", out.LibDir, out.LibDir)
	}
	if err := os.MkdirAll(out.ClangDir, 0o755); err != nil {
		return CiliumInstall{}, err
	}
	link := filepath.Join(out.ClangDir, "clang")
	if t, err := os.Readlink(link); err != nil || t != ClangPath {
		_ = os.Remove(link)
		if err := os.Symlink(ClangPath, link); err != nil {
			return CiliumInstall{}, err
		}
	}
	return out, nil
}

// copyTree copies a read-only module directory into dst, writable (the
// module cache's files are read-only), replacing what dst held.
func copyTree(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
}
