package components

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/status"
)

// Options configure Resolve.
type Options struct {
	// BinDir is a directory of prebuilt binaries to use instead of the
	// pinned builds (--k8s-bin-dir).
	BinDir string
	// CacheDir holds the pinned builds; empty means CacheDir().
	CacheDir string
	// Runner runs `go build` and `--version`; nil means real processes (a
	// build is killed with its whole process group when ctx ends or lblab
	// dies).
	Runner run.Runner
	// Log receives progress lines; nil prints nothing.
	Log *status.Logger
	// LookGo finds the go command; nil searches PATH and the usual places.
	LookGo func() (string, error)
}

func (o *Options) defaults() {
	if o.CacheDir == "" {
		o.CacheDir = CacheDir()
	}
	if o.Runner == nil {
		o.Runner = groupRunner{}
	}
	if o.Log == nil {
		o.Log = status.Discard()
	}
	if o.LookGo == nil {
		o.LookGo = lookGo
	}
}

// Resolve returns the paths of the named components (all when none are
// named): from o.BinDir when set, else from the cache, building what is
// missing.
func Resolve(ctx context.Context, o Options, names ...string) (Binaries, error) {
	o.defaults()
	if len(names) == 0 {
		names = Names()
	}
	for _, n := range names {
		if _, ok := byName(n); !ok {
			return nil, fmt.Errorf("unknown Kubernetes component %q", n)
		}
	}
	if o.BinDir != "" {
		return fromDir(ctx, o, names)
	}
	return ensureBuilt(ctx, o, names)
}

// cached reports whether bin/<name> exists and was built from the embedded
// module files.
func cached(binDir string, c Component) bool {
	fi, err := os.Stat(filepath.Join(binDir, c.Name))
	if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return false
	}
	want, err := stamp(c)
	if err != nil {
		return false
	}
	got, err := os.ReadFile(stampPath(binDir, c.Name))
	return err == nil && string(got) == want
}

func stampPath(binDir, name string) string { return filepath.Join(binDir, "."+name+".stamp") }

// stamp records what a cached binary was built from.
func stamp(c Component) (string, error) {
	h, err := moduleHash(c.Module)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s module-sha256:%s\n", c.Name, c.Version, h), nil
}

// ensureBuilt builds the missing components under an exclusive lock, so
// that labs starting together build each component once.
func ensureBuilt(ctx context.Context, o Options, names []string) (Binaries, error) {
	binDir := filepath.Join(o.CacheDir, "bin")
	out := Binaries{}
	var missing []Component
	for _, n := range names {
		c, _ := byName(n)
		out[n] = filepath.Join(binDir, n)
		if !cached(binDir, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	unlock, err := lockDir(o.CacheDir, o.Log)
	if err != nil {
		return nil, err
	}
	defer unlock()
	removeBuildDirs(o.CacheDir) // holding the lock, no build is running
	var todo []Component
	for _, c := range missing {
		if !cached(binDir, c) { // another lblab may have built it meanwhile
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 {
		return out, nil
	}
	goCmd, err := o.LookGo()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", binDir, err)
	}
	work, err := os.MkdirTemp(o.CacheDir, ".build-")
	if err != nil {
		return nil, fmt.Errorf("failed to create a build directory: %w", err)
	}
	defer os.RemoveAll(work)
	if err := os.MkdirAll(filepath.Join(work, "tmp"), 0o755); err != nil {
		return nil, err
	}
	what := "Kubernetes " + KubernetesVersion + " components"
	if m := todo[0].Module; m != "kube" && m != "etcd" {
		what = todo[0].Package + " " + todo[0].Version
	}
	o.Log.Infof("Building %s from the Go module proxy into %s (first use only; a cold build takes several minutes) ...", what, binDir)
	for _, c := range todo {
		if err := build(ctx, o, goCmd, work, binDir, c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// build compiles one component in its tools module and installs it.
func build(ctx context.Context, o Options, goCmd, work, binDir string, c Component) (err error) {
	step := o.Log.Start(fmt.Sprintf("Building %s %s", c.Name, c.Version))
	defer func() { step.End(err == nil) }()
	modDir := filepath.Join(work, c.Module)
	if _, err := os.Stat(filepath.Join(modDir, "go.mod")); err != nil {
		if err := writeModule(c.Module, modDir); err != nil {
			return err
		}
	}
	tmp := filepath.Join(work, "out", c.Name)
	_, err = o.Runner.Run(ctx, run.Cmd{Name: goCmd, Args: buildArgs(modDir, tmp, c), Env: buildEnv(work)})
	if err != nil {
		var re *run.Error
		detail := err.Error()
		if errors.As(err, &re) {
			detail = lastLines(re.Stderr, 20)
		}
		flag := "--k8s-bin-dir"
		if c.Module != "kube" && c.Module != "etcd" {
			flag = "--controller-bin-dir"
		}
		return fmt.Errorf("failed to build %s %s: %s\n(the build needs the Go module proxy, or a module cache holding %s; "+
			"alternatively pass %s with prebuilt binaries)", c.Name, c.Version, detail, c.Package, flag)
	}
	want, err := stamp(c)
	if err != nil {
		return err
	}
	dst := filepath.Join(binDir, c.Name)
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("failed to install %s: %w", dst, err)
	}
	return os.WriteFile(stampPath(binDir, c.Name), []byte(want), 0o644)
}

// buildArgs is the go command line for one component.
func buildArgs(modDir, out string, c Component) []string {
	return []string{"-C", modDir, "build", "-mod=readonly", "-trimpath", "-ldflags", ldflags(c), "-o", out, c.Package}
}

// buildEnv makes static binaries, independent of any go.work around, and
// keeps the go command's scratch files in the build directory, so that a
// killed build leaves nothing outside it.
func buildEnv(work string) []string {
	return []string{"CGO_ENABLED=0", "GOWORK=off", "GOTMPDIR=" + filepath.Join(work, "tmp")}
}

// ldflags strips the binary and stamps the version where `--version`
// reads it.
func ldflags(c Component) string {
	flags := []string{"-s", "-w"}
	if c.Module == "kube" {
		v := strings.TrimPrefix(c.Version, "v")
		parts := strings.SplitN(v, ".", 3)
		for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
			flags = append(flags,
				"-X", pkg+".gitVersion="+c.Version,
				"-X", pkg+".gitMajor="+parts[0],
				"-X", pkg+".gitMinor="+parts[1],
				"-X", pkg+".gitTreeState=clean")
		}
	}
	if c.Module == "cilium" {
		// Cilium parses version, revision and date from one string.
		flags = append(flags, "-X", `"github.com/cilium/cilium/pkg/version.ciliumVersion=`+ciliumVersionString+`"`)
	}
	return strings.Join(flags, " ")
}

// lockDir takes the build lock of a cache directory.
func lockDir(dir string, log *status.Logger) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to open the build lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if log == nil {
			log = status.Discard()
		}
		log.Infof("Waiting for another lblab to finish building the Kubernetes components ...")
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("failed to lock %s: %w", dir, err)
		}
	}
	return func() { f.Close() }, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Check reports, without building or running anything, what would keep
// Resolve from providing every component: a missing --k8s-bin-dir binary,
// or no Go toolchain when something must be built.
func Check(o Options) error {
	o.defaults()
	if o.BinDir != "" {
		var missing []string
		for _, c := range All {
			if c.Name == Etcd {
				continue // built when absent
			}
			if fi, err := os.Stat(filepath.Join(o.BinDir, c.Name)); err != nil || fi.Mode()&0o111 == 0 {
				missing = append(missing, c.Name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("--k8s-bin-dir %s lacks %s (or they are not executable); put the Kubernetes %s binaries there, or unset --k8s-bin-dir and LBLAB_K8S_BIN_DIR",
				o.BinDir, strings.Join(missing, ", "), minor(KubernetesVersion))
		}
		if c, _ := byName(Etcd); cached(filepath.Join(o.CacheDir, "bin"), c) {
			return nil
		}
		if _, err := os.Stat(filepath.Join(o.BinDir, Etcd)); err == nil {
			return nil
		}
	} else {
		all := true
		for _, c := range All {
			all = all && cached(filepath.Join(o.CacheDir, "bin"), c)
		}
		if all {
			return nil
		}
	}
	_, err := o.LookGo()
	return err
}

// removeBuildDirs removes the build directories of killed builds.
func removeBuildDirs(cacheDir string) {
	stale, _ := filepath.Glob(filepath.Join(cacheDir, ".build-*"))
	for _, s := range stale {
		_ = os.RemoveAll(s)
	}
}

// RemoveStaleBuilds removes what builds killed halfway left in the cache,
// unless a build is running now. `lblab down` calls it.
func RemoveStaleBuilds() {
	dir := CacheDir()
	f, err := os.Open(filepath.Join(dir, ".lock"))
	if err != nil {
		return
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		removeBuildDirs(dir)
	}
}
