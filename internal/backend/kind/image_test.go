package kind

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The image holds the binary at /lblab with mode 0755, runs it as its
// entrypoint, is reproducible, and reads back from its docker archive.
func TestControllerImage(t *testing.T) {
	bin := []byte("\x7fELF not really a binary, but bytes to ship\n")
	img, tag, err := controllerImage(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tag.Name(), "lblab.dev/lblab:") || len(tag.TagStr()) != 12 {
		t.Errorf("tag = %s", tag.Name())
	}
	img2, tag2, err := controllerImage(bin)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := img2.Digest()
	if d1 != d2 || tag != tag2 {
		t.Errorf("not reproducible: %s %s / %s %s", d1, tag, d2, tag2)
	}
	if _, other, _ := controllerImage(append(bin, '!')); other == tag {
		t.Errorf("another binary got the same tag %s", other)
	}

	archive := filepath.Join(t.TempDir(), "images", "lblab.tar")
	if err := writeImageArchive(archive, img, tag); err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(tag.Name())
	if err != nil {
		t.Fatal(err)
	}
	back, err := tarball.ImageFromPath(archive, &ref)
	if err != nil {
		t.Fatalf("the archive does not load as an image: %v", err)
	}
	if d, _ := back.Digest(); d != d1 {
		t.Errorf("digest after reading back = %s, want %s", d, d1)
	}
	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cf.Config.Entrypoint, " ") != imageBinPath || cf.OS != "linux" || cf.Architecture == "" {
		t.Errorf("config: entrypoint %q, %s/%s", cf.Config.Entrypoint, cf.OS, cf.Architecture)
	}
	layers, err := back.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(tr)
	if "/"+hdr.Name != imageBinPath || hdr.Mode != 0o755 || !bytes.Equal(data, bin) {
		t.Errorf("layer entry %s mode %o, %d bytes; want %s 0755 with the binary", hdr.Name, hdr.Mode, len(data), imageBinPath)
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("the layer holds more than the binary: %v", err)
	}
	// docker-archive: manifest.json names the tag, as `docker save` does.
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(archive) })
	if err != nil || len(m) != 1 || len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != tag.Name() {
		t.Errorf("manifest.json = %+v, %v", m, err)
	}
}

func TestIsStatic(t *testing.T) {
	if static, err := isStatic("/bin/sh"); err != nil || static {
		t.Errorf("isStatic(/bin/sh) = %v, %v; want a dynamic executable", static, err)
	}
	if _, err := isStatic("image_test.go"); err == nil {
		t.Error("a Go file is not an ELF executable")
	}
}

// Loading imports the archive through `ctr images import` on stdin with the
// snapshotter from containerd's config, in every node, and checks it is
// listed afterwards.
func TestLoadImage(t *testing.T) {
	h := newHarness(t)
	for _, n := range []string{"l-control-plane", "l-worker"} {
		h.docker.addKindNode("l", n, "worker")
	}
	const ref = "lblab.dev/lblab:0123456789ab"
	h.docker.execs["l-control-plane containerd config dump"] = execResult{Stdout: []byte("version = 3\n[plugins.'io.containerd.cri.v1.images']\n  snapshotter = 'overlayfs'\n")}
	h.docker.execs["l-worker containerd config dump"] = execResult{Stdout: []byte("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  snapshotter = \"native\"\n")}
	h.docker.execs["l-control-plane ctr --namespace=k8s.io images list"] = execResult{Stdout: []byte(ref + "\n")}
	h.docker.execs["l-worker ctr --namespace=k8s.io images list"] = execResult{Stdout: []byte(ref + "\n")}
	archive := filepath.Join(t.TempDir(), "a.tar")
	if err := os.WriteFile(archive, []byte("archive bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.b.loadImage(context.Background(), []string{"l-control-plane", "l-worker"}, archive, ref); err != nil {
		t.Fatal(err)
	}
	calls := strings.Join(h.docker.Calls(), "\n")
	for _, want := range []string{
		"exec l-control-plane ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs -",
		"exec l-worker ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=native -",
		"exec l-worker ctr --namespace=k8s.io images list -q name==" + ref,
	} {
		if !strings.Contains(calls, want) {
			t.Errorf("no call %q in:\n%s", want, calls)
		}
	}
	if got := string(h.docker.stdin["l-worker ctr"]); got != "archive bytes" {
		t.Errorf("ctr import read %q from stdin", got)
	}

	h.docker.execs["l-worker ctr --namespace=k8s.io images list"] = execResult{}
	if err := h.b.loadImage(context.Background(), []string{"l-worker"}, archive, ref); err == nil ||
		!strings.Contains(err.Error(), "does not list "+ref) {
		t.Errorf("a missing image after import: %v", err)
	}
}

func TestSnapshotterErrors(t *testing.T) {
	for _, cfg := range []string{"version = 9\n", "version = 3\n", "not toml ["} {
		if _, err := snapshotter([]byte(cfg)); err == nil {
			t.Errorf("snapshotter(%q) gave no error", cfg)
		}
	}
}
