package controller

import (
	corev1 "k8s.io/api/core/v1"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// TestRestartRebuildsFirst starts the controller on Services that already
// hold addresses: they keep them without a write, the newcomer gets a free
// one, and of two Services claiming one address the older keeps it.
func TestRestartRebuildsFirst(t *testing.T) {
	pools := []runtime.Object{pool("default", "198.51.100.0/24")}
	ann := annotate(v1alpha1.AnnotationAllocatedFromPool, "default")
	h := newHarness(t, Options{}, pools,
		lb("new", createdAt(1)), // oldest, but holds nothing: must not take .0 from anyone
		lb("a", createdAt(2), withStatus("198.51.100.0"), ann),
		lb("b", createdAt(3), withStatus("198.51.100.2"), ann),
		lb("dup", createdAt(4), withStatus("198.51.100.2"), ann),
	)
	h.start()
	h.eventually("new Services", func() string {
		n, _ := h.ingress("default", "new")
		d, _ := h.ingress("default", "dup")
		if !(n == "198.51.100.1" && d == "198.51.100.3" || n == "198.51.100.3" && d == "198.51.100.1") {
			return "new got " + n + ", dup got " + d + "; want .1 and .3"
		}
		return ""
	})
	h.waitEvent("Warning AllocationFailed", "IPInUse", "keeping 198.51.100.2 is impossible", "used by default/b")
	h.waitIngress("default", "a", "198.51.100.0", "default")
	h.waitIngress("default", "b", "198.51.100.2", "default")
	for _, a := range h.client.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok && (p.GetName() == "a" || p.GetName() == "b") {
			t.Errorf("Service %s rewritten: %s", p.GetName(), p.GetPatch())
		}
	}
}

// TestRestartKeepsOrphans: a Service holding an address in no pool (its
// pool was deleted) keeps it and its pool annotation.
func TestRestartKeepsOrphans(t *testing.T) {
	h := newHarness(t, Options{}, []runtime.Object{pool("default", "198.51.100.0/24")},
		lb("old", withStatus("203.0.113.7"), annotate(v1alpha1.AnnotationAllocatedFromPool, "gone")))
	h.start()
	h.create(lb("marker"))
	h.waitIngress("default", "marker", "198.51.100.0", "default")
	h.waitIngress("default", "old", "203.0.113.7", "gone")
}

// TestNotOursAnymore: a Service of another class that still carries the
// pool annotation loses the annotation, never its (other controller's)
// address.
func TestNotOursAnymore(t *testing.T) {
	other := "example.com/other"
	h := newHarness(t, Options{}, []runtime.Object{pool("default", "198.51.100.0/24")},
		lb("theirs", withStatus("203.0.113.9"), annotate(v1alpha1.AnnotationAllocatedFromPool, "default"),
			func(s *corev1.Service) { s.Spec.LoadBalancerClass = &other }))
	h.start()
	h.waitIngress("default", "theirs", "203.0.113.9", "")
}
