package kind

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// Deploy starts the lab's LoadBalancer controller. For the bundled one it
// builds the controller image from the static lblab binary, imports it
// into every node that lacks it, and applies the controller and speaker
// manifests with that image. MetalLB, kube-vip and OpenELB run from their
// upstream images and manifests instead (deployUpstream; never run on a
// real kind cluster yet).
func (b *backend) Deploy(ctx context.Context, l *lab.Lab) error {
	if _, err := b.api(); err != nil {
		return err
	}
	switch l.Topology.Controller.Type {
	case topology.ControllerMetalLB, topology.ControllerKubeVIP, topology.ControllerOpenELB:
		return b.deployUpstream(ctx, l)
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
	bin, err := b.binary(ctx)
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

// applyController applies the controller Deployment and the speaker
// DaemonSet from controller/install.Manifests rendered with the image (the
// CRDs, RBAC and topology objects are installed before Deploy), then waits
// until the controller is available and a speaker runs on every node.
func (b *backend) applyController(ctx context.Context, l *lab.Lab, image string) error {
	all, err := install.Manifests(image)
	if err != nil {
		return err
	}
	var objs []*unstructured.Unstructured
	for i := range all {
		if k := all[i].GetKind(); k == "Deployment" || k == "DaemonSet" {
			objs = append(objs, &all[i])
		}
	}
	if len(objs) == 0 {
		return errors.New("controller/install.Manifests rendered no controller Deployment or speaker DaemonSet")
	}
	kc, err := b.kube(l.Kubeconfig())
	if err != nil {
		return err
	}
	if err := kc.Apply(ctx, objs); err != nil {
		return err
	}
	return waitRollout(ctx, kc, "the controller", objs, len(l.Topology.Nodes.List), b.timeout, b.pollEvery())
}

// waitRollout waits until every Deployment has an available replica,
// every DaemonSet runs ready on all nodes and every Job has succeeded;
// at the deadline it says which of what (e.g. "the controller") were not.
func waitRollout(ctx context.Context, kc kubeClient, what string, objs []*unstructured.Unstructured, nodes int, timeout, every time.Duration) error {
	var waiting []string
	err := wait.PollUntilContextTimeout(ctx, every, timeout, true, func(ctx context.Context) (bool, error) {
		waiting = rolloutWaiting(ctx, kc, objs, nodes)
		return len(waiting) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("%s did not come up within %s:\n    %s", what, timeout, strings.Join(waiting, "\n    "))
	}
	return nil
}

// rolloutWaiting says which of the objects are not rolled out yet.
func rolloutWaiting(ctx context.Context, kc kubeClient, objs []*unstructured.Unstructured, nodes int) []string {
	var waiting []string
	for _, o := range objs {
		ns, name := o.GetNamespace(), o.GetName()
		switch o.GetKind() {
		case "Job":
			j, err := kc.Job(ctx, ns, name)
			if err != nil || j.Status.Succeeded < 1 {
				waiting = append(waiting, fmt.Sprintf("Job %s/%s has not succeeded", ns, name))
			}
		case "Deployment":
			d, err := kc.Deployment(ctx, ns, name)
			if err != nil || d.Status.ObservedGeneration < d.Generation || d.Status.AvailableReplicas < 1 {
				waiting = append(waiting, fmt.Sprintf("Deployment %s/%s has no available replica", ns, name))
			}
		case "DaemonSet":
			dss, err := kc.DaemonSets(ctx, ns)
			if err != nil {
				waiting = append(waiting, fmt.Sprintf("DaemonSet %s/%s: %v", ns, name, err))
				continue
			}
			for _, w := range readiness(nil, nil, dss, []string{name}) {
				waiting = append(waiting, strings.Replace(w, "kube-system/", ns+"/", 1))
			}
			for _, d := range dss {
				if d.Name == name && int(d.Status.DesiredNumberScheduled) < nodes {
					waiting = append(waiting, fmt.Sprintf("DaemonSet %s/%s is scheduled on %d of %d nodes", ns, name, d.Status.DesiredNumberScheduled, nodes))
				}
			}
		}
	}
	return waiting
}
