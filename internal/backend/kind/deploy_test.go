package kind

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Deploy builds the image from the binary, imports it into every node that
// lacks it, applies the controller Deployment and speaker DaemonSet with
// that image and waits for them; a second Deploy loads nothing again.
func TestDeploy(t *testing.T) {
	h := newHarness(t)
	topo, l := h.newTestLab(t, "bgp-ecmp", "")
	bin := []byte("static lblab\n")
	h.b.binary = func(context.Context) ([]byte, error) { return bin, nil }
	h.docker.execs["bgp-ecmp-control-plane containerd config dump"] = execResult{Stdout: []byte("version = 3\n[plugins.'io.containerd.cri.v1.images']\nsnapshotter = 'overlayfs'\n")}
	for _, n := range kindNodeNames(topo)[1:] {
		h.docker.execs[n+" containerd config dump"] = h.docker.execs["bgp-ecmp-control-plane containerd config dump"]
	}
	if err := h.b.Provision(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	h.docker.Calls()
	if err := h.b.Deploy(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	_, tag, _ := controllerImage(bin)
	imports := 0
	for _, c := range h.docker.Calls() {
		if strings.Contains(c, "ctr --namespace=k8s.io images import") {
			imports++
		}
	}
	if imports != len(topo.Nodes.List) {
		t.Errorf("%d imports, want one per node (%d)", imports, len(topo.Nodes.List))
	}
	// What the nodes imported is the archive of the image with that tag.
	archive := h.docker.stdin["bgp-ecmp-worker2 ctr"]
	path := filepath.Join(t.TempDir(), "imported.tar")
	if err := os.WriteFile(path, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) }); err != nil ||
		m[0].RepoTags[0] != tag.Name() {
		t.Errorf("imported archive manifest = %+v, %v", m, err)
	}
	var applied []string
	for _, o := range h.kube.applied {
		if o.GetKind() != "Deployment" && o.GetKind() != "DaemonSet" {
			continue
		}
		data, _ := o.MarshalJSON()
		if !strings.Contains(string(data), `"image":"`+tag.Name()+`"`) {
			t.Errorf("%s %s does not run %s", o.GetKind(), o.GetName(), tag.Name())
		}
		applied = append(applied, o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName())
	}
	if strings.Join(applied, ", ") != "Deployment lblab-system/controller, DaemonSet lblab-system/speaker" {
		t.Errorf("applied %v", applied)
	}

	if err := h.b.Deploy(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	for _, c := range h.docker.Calls() {
		if strings.Contains(c, "images import") {
			t.Errorf("a second Deploy imported again: %s", c)
		}
	}
}
