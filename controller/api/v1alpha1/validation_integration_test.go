package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/controller/internal/kubetest"
)

// TestIntegrationCELValidation applies the generated CRDs to a real
// kube-apiserver and checks that every invalid object is rejected at
// create time with the expected message, and every valid one accepted.
func TestIntegrationCELValidation(t *testing.T) {
	s := kubetest.Start(t)
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := install.ApplyCRDs(ctx, dyn); err != nil {
		t.Fatal(err)
	}
	for i, tc := range validationCases {
		t.Run(tc.name, func(t *testing.T) {
			obj := caseObject(t, tc, i)
			gvr := v1alpha1.GroupVersion.WithResource(strings.ToLower(tc.kind) + "s")
			_, err := dyn.Resource(gvr).Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			checkValidation(t, tc, err)
		})
	}
}

func caseObject(t *testing.T, tc validationCase, i int) *unstructured.Unstructured {
	t.Helper()
	var spec map[string]any
	data, err := yaml.YAMLToJSON([]byte(tc.spec))
	if err == nil {
		err = utiljson.Unmarshal(data, &spec) // integers as int64, as the apiserver decodes them
	}
	if err != nil {
		t.Fatalf("bad test spec: %v", err)
	}
	if spec == nil {
		spec = map[string]any{}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.GroupVersion.String(),
		"kind":       tc.kind,
		"metadata":   map[string]any{"name": fmt.Sprintf("case-%d", i)},
		"spec":       spec,
	}}
}

func checkValidation(t *testing.T, tc validationCase, err error) {
	t.Helper()
	switch {
	case tc.want == "" && err != nil:
		t.Fatalf("valid object rejected: %v", err)
	case tc.want != "" && err == nil:
		t.Fatalf("invalid object accepted; want an error containing %q", tc.want)
	case tc.want != "" && !strings.Contains(err.Error(), tc.want):
		t.Fatalf("error %q\ndoes not contain %q", err, tc.want)
	case err != nil:
		t.Logf("rejected: %v", err)
	}
}
