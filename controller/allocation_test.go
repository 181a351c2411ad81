package controller

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

func TestRequestedAddresses(t *testing.T) {
	h := newHarness(t, Options{}, []runtime.Object{pool("default", "198.51.100.0/24"), pool("v6", "2001:db8::/120")})
	h.start()
	h.create(lb("field", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "198.51.100.7" }))
	h.waitIngress("default", "field", "198.51.100.7", "default")
	h.create(lb("same", annotate(v1alpha1.AnnotationLoadBalancerIPs, "198.51.100.7")))
	h.waitEvent("Warning AllocationFailed", "IPInUse", "requested 198.51.100.7 is used by default/field")
	got, _ := h.ingress("default", "same")
	if got != "" {
		t.Fatalf("the second Service got %s", got)
	}
	h.create(lb("bad", annotate(v1alpha1.AnnotationLoadBalancerIPs, "198.51.100.300")))
	h.waitEvent("Warning AllocationFailed", "InvalidRequest", `annotation lblab.dev/load-balancer-ips: "198.51.100.300" is not an IP address`)
	h.create(lb("disagree", annotate(v1alpha1.AnnotationLoadBalancerIPs, "198.51.100.9"),
		func(s *corev1.Service) { s.Spec.LoadBalancerIP = "198.51.100.8" }))
	h.waitEvent("Warning AllocationFailed", "spec.loadBalancerIP 198.51.100.8 is not among annotation lblab.dev/load-balancer-ips")
	dual := corev1.IPFamilyPolicyRequireDualStack
	h.create(lb("dual", annotate(v1alpha1.AnnotationIPPool, "v6"), func(s *corev1.Service) {
		s.Spec.IPFamilies, s.Spec.IPFamilyPolicy = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}, &dual
	}))
	h.waitEvent("Warning AllocationFailed", "FamilyUnavailable", `IPPool "v6" has no IPv4 addresses`)
	// The first Service lets go: the second one now gets the address.
	h.delete("default", "field")
	h.waitIngress("default", "same", "198.51.100.7", "default")
}

func TestSharingKey(t *testing.T) {
	h := newHarness(t, Options{}, []runtime.Object{pool("default", "198.51.100.0/24")})
	h.start()
	key := annotate(v1alpha1.AnnotationSharingKey, "web")
	port := func(p int32) func(*corev1.Service) {
		return func(s *corev1.Service) { s.Spec.Ports = []corev1.ServicePort{{Port: p, Protocol: corev1.ProtocolTCP}} }
	}
	h.create(lb("http", key, port(80)))
	h.waitIngress("default", "http", "198.51.100.0", "default")
	h.create(lb("https", key, port(443)))
	h.waitIngress("default", "https", "198.51.100.0", "default")
	h.create(lb("http2", key, port(80)))
	h.waitIngress("default", "http2", "198.51.100.1", "default")
	h.create(lb("local", key, port(8080), func(s *corev1.Service) {
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		s.Spec.LoadBalancerIP = "198.51.100.0"
	}))
	h.waitEvent("Warning AllocationFailed", "IPInUse", "externalTrafficPolicy differs")
}

func TestExhaustionThenRelease(t *testing.T) {
	h := newHarness(t, Options{}, []runtime.Object{pool("tiny", "198.51.100.10-198.51.100.11")})
	h.start()
	// One at a time: the controller's two workers may take Services in
	// either order.
	h.create(lb("a"))
	h.waitIngress("default", "a", "198.51.100.10", "tiny")
	h.create(lb("b"))
	h.waitIngress("default", "b", "198.51.100.11", "tiny")
	h.create(lb("c"))
	h.waitEvent("Warning AllocationFailed", "PoolExhausted",
		`IPPool "tiny" has no free IPv4 address: all 2 addresses of 198.51.100.10/31 are in use`)
	h.eventually("pool status", func() string {
		p := h.pool("tiny")
		if p.Status.AssignedIPv4 != 2 || p.Status.AvailableIPv4 != "0" {
			return "status " + p.Status.AvailableIPv4
		}
		return ""
	})
	h.delete("default", "a")
	h.waitIngress("default", "c", "198.51.100.10", "tiny")
}

func TestNamespaceSelector(t *testing.T) {
	p := pool("team", "198.51.100.0/24")
	p.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	h := newHarness(t, Options{}, []runtime.Object{p}, ns)
	h.start()
	h.create(lb("web"))
	h.waitEvent("Warning AllocationFailed", "NoPool", `"team"'s selectors do not match`)
	ns.Labels = map[string]string{"team": "a"}
	if _, err := h.client.CoreV1().Namespaces().Update(context.Background(), ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.waitIngress("default", "web", "198.51.100.0", "team")
}
