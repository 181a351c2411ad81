package metallb

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/k8s/components"
)

// The images MetalLB's own manifest runs at the pinned version
// (config/manifests/metallb-native.yaml of go.universe.tf/metallb
// v0.15.2). Workloads checks that the manifest it reads names exactly
// these.
const (
	ControllerImage = "quay.io/metallb/controller:" + components.MetalLBVersion
	SpeakerImage    = "quay.io/metallb/speaker:" + components.MetalLBVersion
)

// The controller Deployment and speaker DaemonSet of MetalLB's manifest,
// in Namespace.
const (
	ControllerDeployment = "controller"
	SpeakerDaemonSet     = "speaker"
)

// SpeakerSelector selects MetalLB's speaker Pods: its DaemonSet's, and the
// Pod objects Install makes for netns labs (ensureSpeakerPods).
const SpeakerSelector = "app=metallb,component=speaker"

// RunsAsAnnotation is on the speaker Pod objects Install makes, saying
// that a process started by lblab runs in the Pod's stead.
const RunsAsAnnotation = "lblab.dev/runs-as"

// IsSpeakerPlaceholder reports whether p is a speaker Pod object that
// Install made for a netns lab, not a Pod of the speaker DaemonSet. A
// cluster that runs the DaemonSet (a kind lab) must delete these: the
// kubelet would start them (MetalLB's speaker image, no arguments, no
// token), and the DaemonSet, whose selector they match, would adopt them.
func IsSpeakerPlaceholder(p *corev1.Pod) bool {
	_, ok := p.Annotations[RunsAsAnnotation]
	return ok && len(p.OwnerReferences) == 0
}

// Workloads reads from MetalLB's manifest (config/manifests/metallb-native.yaml
// in src, its module directory) what a cluster runs MetalLB with beyond
// what Install applies (the CRDs, the namespace, ServiceAccounts and RBAC),
// unchanged and in the manifest's order: the metallb-excludel2 ConfigMap,
// the webhook's certificate Secret metallb-webhook-cert (empty: the
// controller's own certificate rotation fills it and writes its CA into
// the webhook configuration), the webhook Service, the controller
// Deployment (webhook on, MetalLB's default), the speaker DaemonSet
// (hostNetwork, memberlist with the Secret the controller makes) and the
// ValidatingWebhookConfiguration. It is an error when the manifest's
// controller and speaker do not run ControllerImage and SpeakerImage: src
// is then not MetalLB MetalLBVersion's module.
func Workloads(src string) ([]unstructured.Unstructured, error) {
	path := filepath.Join(src, "config", "manifests", "metallb-native.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read MetalLB's manifest (%w); it is part of go.universe.tf/metallb@%s, "+
			"which `go mod download go.universe.tf/metallb@%s` puts in the Go module cache", err, components.MetalLBVersion, components.MetalLBVersion)
	}
	all, err := install.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []unstructured.Unstructured
	for _, o := range all {
		if k := o.GetKind(); k != "CustomResourceDefinition" && !slices.Contains(rbacKinds, k) {
			out = append(out, o)
		}
	}
	for _, want := range []struct{ kind, name, image string }{
		{"Deployment", ControllerDeployment, ControllerImage},
		{"DaemonSet", SpeakerDaemonSet, SpeakerImage},
	} {
		if err := runsImage(out, want.kind, want.name, want.image); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return out, nil
}

// runsImage checks that objs have a kind/name (in Namespace) whose every
// container runs image.
func runsImage(objs []unstructured.Unstructured, kind, name, image string) error {
	for _, o := range objs {
		if o.GetKind() != kind || o.GetName() != name || o.GetNamespace() != Namespace {
			continue
		}
		ctrs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		if len(ctrs) == 0 {
			return fmt.Errorf("%s %s/%s has no containers", kind, Namespace, name)
		}
		for _, c := range ctrs {
			m, _ := c.(map[string]any)
			if got, _ := m["image"].(string); got != image {
				return fmt.Errorf("%s %s/%s runs %q, but lblab pins %s (MetalLB %s): this is not that version's manifest",
					kind, Namespace, name, got, image, components.MetalLBVersion)
			}
		}
		return nil
	}
	return fmt.Errorf("no %s %s/%s (MetalLB %s's manifest has one)", kind, Namespace, name, components.MetalLBVersion)
}
