package install

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/fixtures"
)

// CRDs returns the CustomResourceDefinitions in fixtures/crds, by name.
func CRDs() ([]apiextensionsv1.CustomResourceDefinition, error) {
	names, err := fs.Glob(fixtures.FS(), "crds/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []apiextensionsv1.CustomResourceDefinition
	for _, n := range names {
		data, err := fixtures.Read(n)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", path.Base(n), err)
		}
		crd.APIVersion, crd.Kind = "apiextensions.k8s.io/v1", "CustomResourceDefinition"
		out = append(out, crd)
	}
	return out, nil
}

func crdObjects() ([]unstructured.Unstructured, error) {
	crds, err := CRDs()
	if err != nil {
		return nil, err
	}
	out := make([]unstructured.Unstructured, 0, len(crds))
	for i := range crds {
		u, err := ToUnstructured(&crds[i])
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// ApplyCRDs applies the CRDs and waits until every one is Established, so
// that objects of their kinds can be created right after.
func ApplyCRDs(ctx context.Context, dyn dynamic.Interface) error {
	objs, err := crdObjects()
	if err != nil {
		return err
	}
	return ApplyCRDObjects(ctx, dyn, objs)
}

// ApplyCRDObjects applies CRDs (lblab's or another controller's) and waits
// until every one is Established.
func ApplyCRDObjects(ctx context.Context, dyn dynamic.Interface, objs []unstructured.Unstructured) error {
	if err := Apply(ctx, dyn, objs); err != nil {
		return err
	}
	for _, o := range objs {
		name := o.GetName()
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			u, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			return established(u), nil
		})
		if err != nil {
			return fmt.Errorf("failed to wait for CRD %s to be Established: %w", name, err)
		}
	}
	return nil
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == string(apiextensionsv1.Established) && m["status"] == "True" {
			return true
		}
	}
	return false
}
