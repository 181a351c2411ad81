package kind

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
	"golang.org/x/sync/errgroup"
)

// loadImage imports an image archive into every node's containerd, the way
// `kind load image-archive` does: `ctr --namespace=k8s.io images import`
// with the snapshotter from the node's containerd config, through exec.
func (b *backend) loadImage(ctx context.Context, nodes []string, archive, ref string) error {
	data, err := os.ReadFile(archive)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, n := range nodes {
		g.Go(func() error { return b.loadInto(ctx, n, data, ref) })
	}
	return g.Wait()
}

func (b *backend) loadInto(ctx context.Context, node string, archive []byte, ref string) error {
	out, err := b.execOK(ctx, node, []string{"containerd", "config", "dump"}, nil)
	if err != nil {
		return err
	}
	snap, err := snapshotter(out)
	if err != nil {
		return fmt.Errorf("node %s: %w", node, err)
	}
	if _, err := b.execOK(ctx, node, []string{"ctr", "--namespace=k8s.io", "images", "import",
		"--all-platforms", "--digests", "--snapshotter=" + snap, "-"}, bytes.NewReader(archive)); err != nil {
		return fmt.Errorf("failed to load the controller image into %s: %w", node, err)
	}
	out, err = b.execOK(ctx, node, []string{"ctr", "--namespace=k8s.io", "images", "list", "-q", "name==" + ref}, nil)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(out)) != ref {
		return fmt.Errorf("node %s does not list %s after the import (ctr printed %q)", node, ref, strings.TrimSpace(string(out)))
	}
	return nil
}

// snapshotter reads the image snapshotter from `containerd config dump`
// (config version 2, or 3 and 4 for containerd v2).
func snapshotter(config []byte) (string, error) {
	var c struct {
		Version int                       `toml:"version"`
		Plugins map[string]map[string]any `toml:"plugins"`
	}
	if _, err := toml.Decode(string(config), &c); err != nil {
		return "", fmt.Errorf("failed to parse containerd's config: %w", err)
	}
	var s any
	switch c.Version {
	case 2:
		if cd, ok := c.Plugins["io.containerd.grpc.v1.cri"]["containerd"].(map[string]any); ok {
			s = cd["snapshotter"]
		}
	case 3, 4:
		s = c.Plugins["io.containerd.cri.v1.images"]["snapshotter"]
	default:
		return "", fmt.Errorf("unknown containerd config version %d (want 2, 3 or 4)", c.Version)
	}
	name, ok := s.(string)
	if !ok || name == "" {
		return "", fmt.Errorf("containerd's config (version %d) names no snapshotter", c.Version)
	}
	return name, nil
}

// execOK runs argv in a container and fails on a non-zero exit, with stderr.
func (b *backend) execOK(ctx context.Context, ctr string, argv []string, stdin io.Reader) ([]byte, error) {
	res, err := b.docker.Exec(ctx, ctr, argv, stdin)
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return res.Stdout, fmt.Errorf("%s in %s exited %d: %s", strings.Join(argv, " "), ctr, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	return res.Stdout, nil
}
