package diag

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// TestKubeObjectsLBLabErrors: an absent lblab.dev CRD (--controller none)
// is skipped quietly; any other failure to list its objects is reported.
func TestKubeObjectsLBLabErrors(t *testing.T) {
	lists := map[schema.GroupVersionResource]string{}
	for _, r := range lblabResources {
		lists[schema.GroupVersionResource{Group: "lblab.dev", Version: "v1alpha1", Resource: r}] = "List"
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists)
	dyn.PrependReactor("list", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		gr := a.GetResource().GroupResource()
		if gr.Resource == "ippools" {
			return true, nil, apierrors.NewForbidden(gr, "", nil)
		}
		return true, nil, apierrors.NewNotFound(gr, "")
	})
	dir := t.TempDir()
	err := KubeObjects(fake.NewClientset(), dyn)(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "lblab-ippools.yaml: ") || !strings.Contains(err.Error(), "forbidden") ||
		strings.Contains(err.Error(), "bgppeers") {
		t.Errorf("err = %v, want the forbidden IPPools list only", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "services.yaml")); err != nil {
		t.Errorf("the core objects are still written: %v", err)
	}
}
