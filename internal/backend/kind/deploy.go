package kind

import (
	"context"
	"errors"
	"strings"

	"github.com/lblab/lblab/internal/lab"
)

// Deploy builds the controller image from the static lblab binary, imports
// it into every node that lacks it, and applies the controller and speaker
// manifests with that image.
func (b *backend) Deploy(ctx context.Context, l *lab.Lab) error {
	if _, err := b.api(); err != nil {
		return err
	}
	ref, err := b.ensureControllerImage(ctx, l)
	if err != nil {
		return err
	}
	return b.applyController(ctx, l, ref)
}

// ensureControllerImage builds the image, writes it to the lab's state
// directory as a docker archive and loads it where it is missing. It
// returns the image reference the manifests use.
func (b *backend) ensureControllerImage(ctx context.Context, l *lab.Lab) (ref string, err error) {
	step := l.Log.Start("Loading the lblab image into the nodes")
	defer func() { step.End(err == nil) }()
	bin, err := staticBinary(ctx, b.opts.Binary, cacheDir())
	if err != nil {
		return "", err
	}
	img, tag, err := controllerImage(bin)
	if err != nil {
		return "", err
	}
	ref = tag.Name()
	var missing []string
	for _, n := range kindNodeNames(l.Topology) {
		out, err := b.execOK(ctx, n, []string{"ctr", "--namespace=k8s.io", "images", "list", "-q", "name==" + ref}, nil)
		if err != nil || strings.TrimSpace(string(out)) != ref {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return ref, nil
	}
	archive := l.Path("images", "lblab.tar")
	if err := writeImageArchive(archive, img, tag); err != nil {
		return "", err
	}
	l.Changed("loaded %s into %s", ref, strings.Join(missing, ", "))
	return ref, b.loadImage(ctx, missing, archive, ref)
}

// applyController applies the controller Deployment and speaker DaemonSet
// rendered for the image. The manifests come from the bundled controller's
// install package (controller/install.Manifests), which is not in this
// build yet.
func (b *backend) applyController(ctx context.Context, l *lab.Lab, image string) error {
	return errors.New("the bundled controller's manifests (controller/install.Manifests) are not in this build yet; " +
		"the image " + image + " is loaded into every node; use --controller none to bring the lab up without a controller")
}
