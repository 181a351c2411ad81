package install

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/lblab/lblab/fixtures"
)

// Base returns the lblab-system namespace, the controller and speaker
// ServiceAccounts and their RBAC, in apply order.
func Base() ([]unstructured.Unstructured, error) {
	data, err := fixtures.Read("manifests/base.yaml")
	if err != nil {
		return nil, err
	}
	return Decode(data)
}

// Manifests returns everything a cluster needs to run the bundled
// controller as pods with the given image: the CRDs, Base, the controller
// Deployment and the speaker DaemonSet, in apply order. (The topology's
// IPPools, BGPPeers and BGPAdvertisement come from Config.)
func Manifests(image string) ([]unstructured.Unstructured, error) {
	if image == "" {
		return nil, errors.New("no controller image given")
	}
	crds, err := crdObjects()
	if err != nil {
		return nil, err
	}
	base, err := Base()
	if err != nil {
		return nil, err
	}
	text, err := fixtures.Read("manifests/workloads.yaml.tmpl")
	if err != nil {
		return nil, err
	}
	tmpl, err := template.New("workloads").Option("missingkey=error").Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("failed to parse the workload manifests: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, struct{ Image string }{image}); err != nil {
		return nil, fmt.Errorf("failed to render the workload manifests: %w", err)
	}
	workloads, err := Decode(buf.Bytes())
	if err != nil {
		return nil, err
	}
	return append(append(crds, base...), workloads...), nil
}

// Decode splits multi-document YAML into objects, skipping empty ones:
// lblab's manifests, and another controller's read from its module.
func Decode(data []byte) ([]unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []unstructured.Unstructured
	for {
		var u unstructured.Unstructured
		if err := r.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("failed to decode manifests: %w", err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// OfKinds returns the objects whose kind is one of kinds, in order: the
// parts of an upstream manifest lblab applies (its RBAC, not its
// Deployments).
func OfKinds(objs []unstructured.Unstructured, kinds ...string) []unstructured.Unstructured {
	var out []unstructured.Unstructured
	for _, o := range objs {
		if slices.Contains(kinds, o.GetKind()) {
			out = append(out, o)
		}
	}
	return out
}
