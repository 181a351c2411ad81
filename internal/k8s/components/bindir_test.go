package components

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/run"
)

// prebuilt makes a directory with the named (empty, executable) binaries.
func prebuilt(t *testing.T, names ...string) string {
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// versions answers the version commands of binaries in dir.
func versions(r *fakeGo, dir, kube, etcd string) {
	for _, n := range []string{APIServer, ControllerManager, Scheduler, Proxy} {
		r.Respond(filepath.Join(dir, n)+" --version", "Kubernetes "+kube+"\n")
	}
	r.Respond(filepath.Join(dir, Kubectl)+" version --client", "Client Version: "+kube+"\nKustomize Version: v5.8.1\n")
	r.Respond(filepath.Join(dir, Etcd)+" --version", "etcd Version: "+etcd+"\nGit SHA: abc\n")
}

func TestFromDir(t *testing.T) {
	dir := prebuilt(t, Names()...)
	f := &fakeGo{}
	versions(f, dir, "v1.37.0", "3.6.5")
	o := testOptions(t, f)
	o.BinDir = dir
	bins, err := Resolve(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range Names() {
		if bins.Path(n) != filepath.Join(dir, n) {
			t.Errorf("%s = %s", n, bins.Path(n))
		}
	}
	for _, l := range f.Lines() {
		if strings.Contains(l, " build ") {
			t.Errorf("nothing must be built: %s", l)
		}
	}
}

func TestFromDirRefusesOtherMinor(t *testing.T) {
	dir := prebuilt(t, Names()...)
	f := &fakeGo{}
	versions(f, dir, "v1.37.2", "3.7.0")
	f.Respond(filepath.Join(dir, ControllerManager)+" --version", "Kubernetes v1.36.4\n")
	f.Respond(filepath.Join(dir, Etcd)+" --version", "etcd Version: 2.3.8\n")
	o := testOptions(t, f)
	o.BinDir = dir
	_, err := Resolve(context.Background(), o)
	if err == nil {
		t.Fatal("a 1.36 controller manager must be refused")
	}
	for _, want := range []string{"kube-controller-manager is v1.36.4, but lblab runs Kubernetes 1.37", "etcd is v2.3.8", dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestFromDirMissing(t *testing.T) {
	dir := prebuilt(t, APIServer, Kubectl)
	o := testOptions(t, &fakeGo{})
	o.BinDir = dir
	_, err := Resolve(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "lacks kube-controller-manager, kube-scheduler, kube-proxy") {
		t.Errorf("err = %v", err)
	}
}

// Kubernetes releases ship no etcd; lblab's build fills in.
func TestFromDirWithoutEtcd(t *testing.T) {
	dir := prebuilt(t, APIServer, ControllerManager, Scheduler, Proxy, Kubectl)
	f := &fakeGo{}
	versions(f, dir, "v1.37.2", "")
	o := testOptions(t, f)
	o.BinDir = dir
	bins, err := Resolve(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if bins.Path(Etcd) != filepath.Join(o.CacheDir, "bin", Etcd) {
		t.Errorf("etcd = %s", bins.Path(Etcd))
	}
	if bins.Path(APIServer) != filepath.Join(dir, APIServer) {
		t.Errorf("apiserver = %s", bins.Path(APIServer))
	}
}

// TestFromDirReal checks the version parsing against real binaries when
// /tmp/kbin (or LBLAB_K8S_BIN_DIR) holds some.
func TestFromDirReal(t *testing.T) {
	dir := os.Getenv("LBLAB_K8S_BIN_DIR")
	if dir == "" {
		dir = "/tmp/kbin"
	}
	if _, err := os.Stat(filepath.Join(dir, APIServer)); err != nil {
		t.Skipf("no prebuilt binaries in %s", dir)
	}
	bins := Binaries{}
	for _, n := range Names() {
		bins[n] = filepath.Join(dir, n)
	}
	v, err := checkVersions(context.Background(), run.Exec{}, dir, bins)
	if err != nil {
		t.Fatal(err)
	}
	if v[Kubectl] != KubernetesVersion || v[APIServer] != KubernetesVersion || !strings.HasPrefix(v[Etcd], "v3.") {
		t.Errorf("versions = %v", v)
	}
}
