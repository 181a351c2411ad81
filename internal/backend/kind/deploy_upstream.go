package kind

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lblab/lblab/internal/controllers/kubevip"
	"github.com/lblab/lblab/internal/controllers/metallb"
	"github.com/lblab/lblab/internal/controllers/openelb"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// This path has never run on a real kind cluster: no machine lblab is
// developed on has a Docker daemon. What is tested is the objects it
// applies (golden files, read from the pinned modules' own manifests) and
// the calls it makes (a fake client).
//
// On netns labs these controllers run as processes built from the Go
// module proxy; on kind they run as their upstream projects ship them, from
// their images, so the binaries the install step builds are not used here
// (kube-vip's prints the RBAC the install step applies).

// upstreamName is how messages name the controller and its version.
func upstreamName(c topology.ControllerType) string {
	switch c {
	case topology.ControllerMetalLB:
		return "MetalLB " + components.MetalLBVersion
	case topology.ControllerKubeVIP:
		return "kube-vip " + components.KubeVIPVersion + " and kube-vip-cloud-provider " + components.KubeVIPCloudProviderVersion
	case topology.ControllerOpenELB:
		return "OpenELB " + components.OpenELBVersion
	}
	return string(c)
}

// upstreamObjects returns what Deploy applies for a lab whose controller
// is MetalLB, kube-vip or OpenELB, in apply order: the workloads of the
// pinned version's own manifests (read from the module directories src
// finds), and nothing the install step applied before (CRDs, namespace,
// ServiceAccounts, RBAC, the topology's configuration).
//   - MetalLB: metallb.Workloads, unchanged: the controller Deployment and
//     speaker DaemonSet (quay.io/metallb/controller and speaker), the
//     excludel2 ConfigMap, and its validating webhook, left on: the
//     webhook Service, the certificate Secret the controller fills, the
//     ValidatingWebhookConfiguration;
//   - kube-vip: the cloud provider's Deployment from its manifest
//     (kubevip.CloudProvider), and kube-vip's DaemonSet as its generator
//     makes it, with the BGP environment netns labs give it and the TOR at
//     its IPv4 address in tor (kubevip.DaemonSet);
//   - OpenELB: openelb.Workloads: the webhook Service, the manager as a
//     DaemonSet, the certificate Jobs and the webhook configurations.
func upstreamObjects(t *topology.Topology, tor []netip.Addr, src func(module, path string) (string, error)) ([]*unstructured.Unstructured, error) {
	var objs []unstructured.Unstructured
	switch t.Controller.Type {
	case topology.ControllerMetalLB:
		if err := metallb.Check(t); err != nil {
			return nil, err
		}
		dir, err := src("metallb", "go.universe.tf/metallb")
		if err != nil {
			return nil, err
		}
		if objs, err = metallb.Workloads(dir); err != nil {
			return nil, err
		}
	case topology.ControllerKubeVIP:
		if err := kubevip.Check(t); err != nil {
			return nil, err
		}
		var peer netip.Addr
		for _, a := range tor {
			if a.Is4() {
				peer = a
				break
			}
		}
		dir, err := src("kube-vip-cloud-provider", "github.com/kube-vip/kube-vip-cloud-provider")
		if err != nil {
			return nil, err
		}
		if objs, err = kubevip.CloudProvider(dir); err != nil {
			return nil, err
		}
		ds, err := kubevip.DaemonSet(t, peer)
		if err != nil {
			return nil, err
		}
		objs = append(objs, ds)
	case topology.ControllerOpenELB:
		if err := openelb.Check(t); err != nil {
			return nil, err
		}
		dir, err := src("openelb", "github.com/openelb/openelb")
		if err != nil {
			return nil, err
		}
		if objs, err = openelb.Workloads(dir); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("the kind backend has no upstream manifests for controller %q", t.Controller.Type)
	}
	out := make([]*unstructured.Unstructured, len(objs))
	for i := range objs {
		out[i] = &objs[i]
	}
	return out, nil
}

// deployUpstream applies upstreamObjects with server-side apply (so that a
// second `up` changes nothing that is as it should be), after deleting the
// speaker Pod objects MetalLB's install step makes for netns labs, and
// waits until every Deployment is available, every DaemonSet runs ready on
// every node and every Job has succeeded.
func (b *backend) deployUpstream(ctx context.Context, l *lab.Lab) error {
	t := l.Topology
	name := upstreamName(t.Controller.Type)
	var tor []netip.Addr
	if t.Controller.Type == topology.ControllerKubeVIP {
		var err error
		if tor, err = b.torAddrs(ctx, l.Name); err != nil {
			return err
		}
	}
	objs, err := upstreamObjects(t, tor, func(module, path string) (string, error) {
		dir, err := b.source(ctx, l, module, path)
		if err != nil {
			return "", fmt.Errorf("the kind backend runs %s from its own manifests, read from module %s in the Go module cache "+
				"as the install step does: %w", name, path, err)
		}
		return dir, nil
	})
	if err != nil {
		return err
	}
	kc, err := b.kube(l.Kubeconfig())
	if err != nil {
		return err
	}
	if t.Controller.Type == topology.ControllerMetalLB {
		if err := removeSpeakerPlaceholders(ctx, kc); err != nil {
			return err
		}
	}
	images, byTag := chartImages(objs)
	l.Log.Debugf(1, "%s runs %s (pulled by tag: %s)", name, strings.Join(images, ", "), strings.Join(byTag, ", "))
	if err := kc.Apply(ctx, objs); err != nil {
		return err
	}
	if err := waitRollout(ctx, kc, name, objs, len(t.Nodes.List), b.timeout, b.pollEvery()); err != nil {
		return fmt.Errorf("%w\n  the nodes pull %s from their registries, and a node that cannot reach them does not start its Pods; "+
			"`lblab kubectl --name %s -- get pods -A -o wide` and `describe pod` say what each waits for", err, strings.Join(images, ", "), l.Name)
	}
	return nil
}

// removeSpeakerPlaceholders deletes the speaker Pod objects that
// metallb.Install makes for netns labs, where processes stand in for the
// DaemonSet's Pods; on kind the DaemonSet runs the speakers.
func removeSpeakerPlaceholders(ctx context.Context, kc kubeClient) error {
	pods, err := kc.Pods(ctx, metallb.Namespace, metallb.SpeakerSelector)
	if err != nil {
		return fmt.Errorf("failed to list MetalLB's speaker Pods in %s: %w", metallb.Namespace, err)
	}
	for i := range pods {
		if !metallb.IsSpeakerPlaceholder(&pods[i]) {
			continue
		}
		if err := kc.DeletePod(ctx, metallb.Namespace, pods[i].Name); err != nil {
			return fmt.Errorf("failed to delete Pod %s/%s, which MetalLB's install step makes for netns labs "+
				"(on kind the speaker DaemonSet runs the speakers): %w", metallb.Namespace, pods[i].Name, err)
		}
	}
	return nil
}

// torAddrs returns the TOR container's addresses on the kind network.
func (b *backend) torAddrs(ctx context.Context, labName string) ([]netip.Addr, error) {
	d, err := b.api()
	if err != nil {
		return nil, err
	}
	info, err := d.Inspect(ctx, torName(labName), b.network)
	if err != nil {
		return nil, fmt.Errorf("lab %q: %w; the TOR is kube-vip's BGP peer (run `lblab up --backend kind --name %s` to repair it)", labName, err, labName)
	}
	if len(info.Addrs) == 0 {
		return nil, fmt.Errorf("lab %q: the TOR container %s has no address on the %s network for kube-vip to peer with; "+
			"run `lblab down --name %s` and `lblab up` again", labName, torName(labName), b.network, labName)
	}
	return info.Addrs, nil
}
