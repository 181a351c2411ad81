package kind

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Controller image layout: one layer holding the static lblab binary.
const (
	imageRepo    = "lblab.dev/lblab"
	imageBinPath = "/lblab"
)

// controllerImage builds the controller image from a static lblab binary:
// one layer with the binary at /lblab, entrypoint ["/lblab"], no shell.
// Every timestamp is the epoch, so the same binary gives the same image
// digest; the tag is the first 12 hex digits of the binary's SHA-256.
func controllerImage(bin []byte) (v1.Image, name.Tag, error) {
	sum := sha256.Sum256(bin)
	tag, err := name.NewTag(imageRepo + ":" + hex.EncodeToString(sum[:6]))
	if err != nil {
		return nil, name.Tag{}, err
	}
	var layerTar bytes.Buffer
	tw := tar.NewWriter(&layerTar)
	hdr := &tar.Header{Name: strings.TrimPrefix(imageBinPath, "/"), Mode: 0o755, Size: int64(len(bin)),
		Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, name.Tag{}, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, name.Tag{}, err
	}
	if err := tw.Close(); err != nil {
		return nil, name.Tag{}, err
	}
	data := layerTar.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return nil, name.Tag{}, fmt.Errorf("failed to make the image layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, name.Tag{}, fmt.Errorf("failed to make the image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, name.Tag{}, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Entrypoint = []string{imageBinPath}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":       "lblab",
		"org.opencontainers.image.description": "lblab controller and speaker (lblab controller, lblab speaker)",
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, name.Tag{}, fmt.Errorf("failed to set the image config: %w", err)
	}
	return img, tag, nil
}

// writeImageArchive writes the image as a docker-archive tarball (what
// `docker save` and `kind load image-archive` use; containerd imports it).
func writeImageArchive(path string, img v1.Image, tag name.Tag) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to write the image archive: %w", err)
	}
	return os.Rename(tmp, path)
}

// staticBinary returns the lblab binary for the image: o.Binary, else this
// executable when it is statically linked, else one built with
// CGO_ENABLED=0 from the module this executable was built in.
func staticBinary(ctx context.Context, path, cacheDir string) ([]byte, error) {
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("failed to find the lblab executable: %w", err)
		}
		path = exe
	}
	static, err := isStatic(path)
	if err != nil {
		return nil, err
	}
	if !static {
		built := filepath.Join(cacheDir, "lblab-static")
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", built, "github.com/lblab/lblab/cmd/lblab")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s is dynamically linked, so it cannot run in the controller image, and building a static one failed "+
				"(%v: %s); build lblab with `make build` (CGO_ENABLED=0) and run that", path, err, strings.TrimSpace(string(out)))
		}
		path = built
	}
	return os.ReadFile(path)
}

// isStatic reports whether an ELF executable needs no dynamic loader.
func isStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, fmt.Errorf("failed to read %s as an ELF executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}
