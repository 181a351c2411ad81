package openelb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/lblab/lblab/internal/k8s/components"
)

// The manager becomes a DaemonSet of the same Pod template that also runs
// on the control plane; the rest of the manifest's workloads are kept.
func TestWorkloads(t *testing.T) {
	src, err := components.Source(context.Background(), components.Options{}, "openelb", "github.com/openelb/openelb")
	if err != nil {
		t.Fatalf("OpenELB's module is not available (%v); the test reads its manifests", err)
	}
	objs, err := Workloads(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var ds appsv1.DaemonSet
	for _, o := range objs {
		got = append(got, o.GetKind()+" "+o.GetName())
		if o.GetKind() == "DaemonSet" {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &ds); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := "Service openelb-admission, DaemonSet openelb-manager, Job openelb-admission-create, Job openelb-admission-patch, " +
		"MutatingWebhookConfiguration openelb-admission, ValidatingWebhookConfiguration openelb-admission"
	if strings.Join(got, ", ") != want {
		t.Errorf("objects %s\nwant %s", strings.Join(got, ", "), want)
	}
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType || ds.Spec.Template.Spec.Containers[0].Image != ManagerImage {
		t.Errorf("DaemonSet %+v", ds.Spec)
	}
	tolerates := false
	for _, tol := range ds.Spec.Template.Spec.Tolerations {
		tolerates = tolerates || tol.Key == "node-role.kubernetes.io/control-plane"
	}
	if !tolerates {
		t.Errorf("the manager does not tolerate the control plane: %+v", ds.Spec.Template.Spec.Tolerations)
	}
	if _, ok := objs[1].Object["spec"].(map[string]any)["replicas"]; ok {
		t.Error("the DaemonSet kept the Deployment's replicas")
	}
}

// Another version's manifest, or none, is an error that says which.
func TestWorkloadsErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Workloads(dir); err == nil || !strings.Contains(err.Error(), "go mod download github.com/openelb/openelb@v0.5.0") {
		t.Errorf("no manifest: %v", err)
	}
	path := filepath.Join(dir, "deploy", "openelb.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata: {name: openelb-manager, namespace: openelb-system}
spec: {template: {spec: {containers: [{name: openelb-manager, image: "kubesphere/openelb:v0.6.0"}]}}}
`
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Workloads(dir); err == nil || !strings.Contains(err.Error(), `runs "kubesphere/openelb:v0.6.0", but lblab pins kubesphere/openelb:v0.5.0`) {
		t.Errorf("another version's manifest: %v", err)
	}
}
