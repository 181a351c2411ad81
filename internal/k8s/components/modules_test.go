package components

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/modfile"
)

const toolsDir = "../../../tools"

// TestEmbeddedModulesInSync fails when tools/ changed without
// `go generate ./internal/k8s/components`.
func TestEmbeddedModulesInSync(t *testing.T) {
	for _, module := range []string{"kube", "etcd", "metallb", "kube-vip", "kube-vip-cloud-provider", "openelb", "cilium"} {
		files, names, err := moduleFiles(module)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			want, err := os.ReadFile(filepath.Join(toolsDir, module, n))
			if err != nil {
				t.Errorf("embedded %s/%s has no source in tools/: %v", module, n, err)
				continue
			}
			if !bytes.Equal(files[n], want) {
				t.Errorf("embedded %s/%s differs from tools/%s/%s; run `go generate ./internal/k8s/components`", module, n, module, n)
			}
		}
		for _, n := range []string{"go.mod", "go.sum"} {
			if _, ok := files[n]; !ok {
				t.Errorf("embedded %s module lacks %s", module, n)
			}
		}
	}
}

// TestPinnedVersions checks the version constants against the modules.
func TestPinnedVersions(t *testing.T) {
	for _, tc := range []struct{ module, path, want string }{
		{"kube", "k8s.io/kubernetes", KubernetesVersion},
		{"etcd", "go.etcd.io/etcd/server/v3", EtcdVersion},
		{"metallb", "go.universe.tf/metallb", MetalLBVersion},
		{"kube-vip", "github.com/kube-vip/kube-vip", KubeVIPVersion},
		{"kube-vip-cloud-provider", "github.com/kube-vip/kube-vip-cloud-provider", KubeVIPCloudProviderVersion},
		{"openelb", "github.com/openelb/openelb", OpenELBVersion},
		{"cilium", "github.com/cilium/cilium", CiliumVersion},
	} {
		files, _, err := moduleFiles(tc.module)
		if err != nil {
			t.Fatal(err)
		}
		f, err := modfile.Parse("go.mod", files["go.mod"], nil)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range f.Require {
			if r.Mod.Path == tc.path {
				found = true
				if r.Mod.Version != tc.want {
					t.Errorf("%s module requires %s %s; the constant says %s", tc.module, tc.path, r.Mod.Version, tc.want)
				}
			}
		}
		if !found {
			t.Errorf("%s module does not require %s", tc.module, tc.path)
		}
	}
}

func TestModuleHashChangesWithContent(t *testing.T) {
	a, err := moduleHash("kube")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := moduleHash("etcd")
	if a == b || len(a) != 64 {
		t.Errorf("hashes %q and %q", a, b)
	}
}

func TestWriteModule(t *testing.T) {
	dir := t.TempDir()
	if err := writeModule("etcd", dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"go.mod", "go.sum", "cmd/etcd/main.go"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
