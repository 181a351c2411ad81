package metallb

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/lblab/lblab/internal/k8s/components"
)

// The speaker Pod objects Install makes are placeholders, and the
// selector finds them; a DaemonSet's Pod is not one.
func TestIsSpeakerPlaceholder(t *testing.T) {
	cs := fake.NewClientset()
	if err := ensureSpeakerPod(context.Background(), cs, "node1"); err != nil {
		t.Fatal(err)
	}
	p, err := cs.CoreV1().Pods(Namespace).Get(context.Background(), SpeakerPod("node1"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !IsSpeakerPlaceholder(p) {
		t.Errorf("Install's speaker Pod %s is not a placeholder", p.Name)
	}
	if sel, err := labels.Parse(SpeakerSelector); err != nil || !sel.Matches(labels.Set(p.Labels)) {
		t.Errorf("SpeakerSelector %q does not select %v (%v)", SpeakerSelector, p.Labels, err)
	}
	p.OwnerReferences = []metav1.OwnerReference{{Kind: "DaemonSet", Name: SpeakerDaemonSet}}
	if IsSpeakerPlaceholder(p) {
		t.Error("a DaemonSet's Pod is a placeholder")
	}
}

// Workloads reads the module's own manifest: everything but the CRDs and
// what RBAC returns, with the pinned images.
func TestWorkloads(t *testing.T) {
	src, err := components.Source(context.Background(), components.Options{}, "metallb", "go.universe.tf/metallb")
	if err != nil {
		t.Fatalf("MetalLB's module is not available (%v); the test reads its manifests", err)
	}
	objs, err := Workloads(src)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind())
	}
	want := []string{"ConfigMap", "Secret", "Service", "Deployment", "DaemonSet", "ValidatingWebhookConfiguration"}
	if !slices.Equal(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
}

// A module directory of another version, or without the manifest, is an
// error that says which.
func TestWorkloadsErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Workloads(dir); err == nil || !strings.Contains(err.Error(), "go mod download go.universe.tf/metallb@v0.15.2") {
		t.Errorf("no manifest: %v", err)
	}
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata: {name: controller, namespace: metallb-system}
spec: {template: {spec: {containers: [{name: controller, image: "quay.io/metallb/controller:v0.14.9"}]}}}
`
	path := filepath.Join(dir, "config", "manifests", "metallb-native.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Workloads(dir); err == nil || !strings.Contains(err.Error(), `runs "quay.io/metallb/controller:v0.14.9", but lblab pins quay.io/metallb/controller:v0.15.2`) {
		t.Errorf("another version's manifest: %v", err)
	}
}
