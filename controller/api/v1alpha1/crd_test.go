package v1alpha1_test

import (
	"context"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"

	"github.com/lblab/lblab/controller/install"
)

// TestCRDsAcceptable runs the checks kube-apiserver runs when a CRD is
// created (schema structure, CEL compilation and estimated rule cost), so
// a rule too expensive or not compiling fails here, without an apiserver.
func TestCRDsAcceptable(t *testing.T) {
	crds, err := install.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != 5 {
		t.Fatalf("got %d CRDs, want 5", len(crds))
	}
	for i := range crds {
		t.Run(crds[i].Name, func(t *testing.T) {
			var internal apiextensions.CustomResourceDefinition
			if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&crds[i], &internal, nil); err != nil {
				t.Fatal(err)
			}
			internal.Status.StoredVersions = []string{"v1alpha1"}
			for _, e := range validation.ValidateCustomResourceDefinition(context.Background(), &internal) {
				t.Error(e)
			}
		})
	}
}
