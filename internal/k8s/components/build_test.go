package components

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lblab/lblab/internal/run"
)

// fakeGo records go commands and writes the -o file, like go build does.
type fakeGo struct {
	run.Recorder
	fail string // component whose build fails
}

func (f *fakeGo) Run(ctx context.Context, c run.Cmd) ([]byte, error) {
	out, err := f.Recorder.Run(ctx, c)
	if err != nil {
		return out, err
	}
	i := slices.Index(c.Args, "-o")
	if i < 0 {
		return out, nil
	}
	if f.fail != "" && strings.HasSuffix(c.Args[len(c.Args)-1], "/"+f.fail) {
		return nil, &run.Error{Cmd: c.String(), ExitCode: 1, Stderr: "line1\nmodule lookup disabled\n", Err: errors.New("exit status 1")}
	}
	if err := os.MkdirAll(filepath.Dir(c.Args[i+1]), 0o755); err != nil {
		return nil, err
	}
	return nil, os.WriteFile(c.Args[i+1], []byte("#!/bin/sh\n"), 0o755)
}

func testOptions(t *testing.T, r run.Runner) Options {
	return Options{CacheDir: t.TempDir(), Runner: r, LookGo: func() (string, error) { return "/usr/bin/go", nil }}
}

func TestBuildArgs(t *testing.T) {
	f := &fakeGo{}
	o := testOptions(t, f)
	bins, err := Resolve(context.Background(), o, APIServer, Etcd)
	if err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	if len(calls) != 2 {
		t.Fatalf("want 2 builds, got %v", f.Lines())
	}
	api := calls[0]
	if api.Name != "/usr/bin/go" {
		t.Errorf("go command = %q", api.Name)
	}
	args := api.Args
	wantEnv := []string{"CGO_ENABLED=0", "GOWORK=off", "GOTMPDIR=" + filepath.Join(filepath.Dir(args[1]), "tmp")}
	if !slices.Equal(api.Env, wantEnv) {
		t.Errorf("env = %v, want %v", api.Env, wantEnv)
	}
	if args[0] != "-C" || !strings.HasPrefix(args[1], filepath.Join(o.CacheDir, ".build-")) || !strings.HasSuffix(args[1], "/kube") {
		t.Errorf("build must run in the written kube module: %v", args)
	}
	for _, want := range []string{"build", "-mod=readonly", "-trimpath", "k8s.io/kubernetes/cmd/kube-apiserver"} {
		if !slices.Contains(args, want) {
			t.Errorf("args lack %q: %v", want, args)
		}
	}
	ld := args[slices.Index(args, "-ldflags")+1]
	for _, want := range []string{"-s -w", "-X k8s.io/component-base/version.gitVersion=v1.37.2",
		"-X k8s.io/component-base/version.gitMajor=1", "-X k8s.io/component-base/version.gitMinor=37"} {
		if !strings.Contains(ld, want) {
			t.Errorf("ldflags %q lack %q", ld, want)
		}
	}
	etcd := calls[1].Args
	if !strings.HasSuffix(etcd[1], "/etcd") || etcd[len(etcd)-1] != "github.com/lblab/lblab/tools/etcd/cmd/etcd" {
		t.Errorf("etcd build: %v", etcd)
	}
	if strings.Contains(etcd[slices.Index(etcd, "-ldflags")+1], "component-base") {
		t.Error("etcd must not get Kubernetes version flags")
	}
	if got := bins.Path(APIServer); got != filepath.Join(o.CacheDir, "bin", APIServer) {
		t.Errorf("path = %s", got)
	}
	if left, _ := filepath.Glob(filepath.Join(o.CacheDir, ".build-*")); len(left) != 0 {
		t.Errorf("build directories left behind: %v", left)
	}
}

func TestCacheReused(t *testing.T) {
	f := &fakeGo{}
	o := testOptions(t, f)
	ctx := context.Background()
	if _, err := Resolve(ctx, o); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Calls()); n != len(All) {
		t.Fatalf("first resolve: %d builds, want %d", n, len(All))
	}
	if _, err := Resolve(ctx, o); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Calls()); n != len(All) {
		t.Errorf("second resolve rebuilt: %v", f.Lines()[len(All):])
	}
	// A binary built from other module files is rebuilt; so is a lost one.
	os.WriteFile(stampPath(filepath.Join(o.CacheDir, "bin"), Scheduler), []byte("kube-scheduler v1.36.0 module-sha256:x\n"), 0o644)
	os.Remove(filepath.Join(o.CacheDir, "bin", Kubectl))
	os.MkdirAll(filepath.Join(o.CacheDir, ".build-stale", "kube"), 0o755)
	if _, err := Resolve(ctx, o); err != nil {
		t.Fatal(err)
	}
	lines := f.Lines()[len(All):]
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "cmd/kube-scheduler") || !strings.HasSuffix(lines[1], "cmd/kubectl") {
		t.Errorf("rebuilt %v, want kube-scheduler and kubectl", lines)
	}
	if _, err := os.Stat(filepath.Join(o.CacheDir, ".build-stale")); !os.IsNotExist(err) {
		t.Error("a stale build directory survived")
	}
}

func TestConcurrentResolveBuildsOnce(t *testing.T) {
	f := &fakeGo{}
	o := testOptions(t, f)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Resolve(context.Background(), o, APIServer, Kubectl)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.Calls()); n != 2 {
		t.Errorf("4 concurrent resolves ran %d builds, want 2: %v", n, f.Lines())
	}
}

func TestBuildFailure(t *testing.T) {
	f := &fakeGo{fail: Proxy}
	o := testOptions(t, f)
	_, err := Resolve(context.Background(), o, Proxy)
	if err == nil || !strings.Contains(err.Error(), "failed to build kube-proxy v1.37.2") ||
		!strings.Contains(err.Error(), "module lookup disabled") || !strings.Contains(err.Error(), "--k8s-bin-dir") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(o.CacheDir, "bin", Proxy)); !os.IsNotExist(err) {
		t.Error("a failed build must not install a binary")
	}
}

func TestNoGo(t *testing.T) {
	o := testOptions(t, &fakeGo{})
	o.LookGo = func() (string, error) { return "", errNoGo }
	_, err := Resolve(context.Background(), o, Kubectl)
	if err == nil || !strings.Contains(err.Error(), "needs the Go toolchain") || !strings.Contains(err.Error(), "--k8s-bin-dir") {
		t.Errorf("err = %v", err)
	}
}

func TestUnknownComponent(t *testing.T) {
	if _, err := Resolve(context.Background(), testOptions(t, &fakeGo{}), "kubelet"); err == nil {
		t.Error("kubelet is not a component lblab runs")
	}
}

func TestCheck(t *testing.T) {
	f := &fakeGo{}
	o := testOptions(t, f)
	if err := Check(o); err != nil {
		t.Errorf("with go found: %v", err)
	}
	noGo := o
	noGo.LookGo = func() (string, error) { return "", errNoGo }
	if err := Check(noGo); err == nil || !strings.Contains(err.Error(), "needs the Go toolchain") {
		t.Errorf("without go and an empty cache: %v", err)
	}
	if _, err := Resolve(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if err := Check(noGo); err != nil {
		t.Errorf("a full cache needs no go: %v", err)
	}
	noGo.BinDir = prebuilt(t, APIServer)
	if err := Check(noGo); err == nil || !strings.Contains(err.Error(), "lacks kube-controller-manager") {
		t.Errorf("incomplete bin dir: %v", err)
	}
	noGo.BinDir = prebuilt(t, APIServer, ControllerManager, Scheduler, Proxy, Kubectl)
	if err := Check(noGo); err != nil {
		t.Errorf("bin dir without etcd, etcd cached: %v", err)
	}
}

func TestRemoveStaleBuilds(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	RemoveStaleBuilds() // no cache yet: nothing to do
	dir := CacheDir()
	os.MkdirAll(filepath.Join(dir, ".build-123", "tmp"), 0o755)
	unlock, err := lockDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	RemoveStaleBuilds()
	if _, err := os.Stat(filepath.Join(dir, ".build-123")); err != nil {
		t.Error("a running build's directory must stay")
	}
	unlock()
	RemoveStaleBuilds()
	if _, err := os.Stat(filepath.Join(dir, ".build-123")); !os.IsNotExist(err) {
		t.Error("a killed build's directory must go")
	}
}
