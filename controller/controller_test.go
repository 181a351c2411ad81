package controller

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

func TestAllocateAndRelease(t *testing.T) {
	h := newHarness(t, Options{}, []runtime.Object{pool("default", "198.51.100.0/24")})
	h.start()
	h.create(lb("web"))
	h.waitIngress("default", "web", "198.51.100.0", "default")
	h.waitEvent("Normal IPAllocated", `Assigned 198.51.100.0 from IPPool "default"`)
	h.create(lb("api"))
	h.waitIngress("default", "api", "198.51.100.1", "default")

	h.delete("default", "web")
	h.waitEvent("Normal IPReleased", `Released 198.51.100.0 to IPPool "default"`)
	h.create(lb("db"))
	h.waitIngress("default", "db", "198.51.100.0", "default")
}

func TestOneStatusWritePerService(t *testing.T) {
	h := newHarness(t, Options{}, []runtime.Object{pool("default", "198.51.100.0/24")})
	h.start()
	h.create(lb("web"))
	h.waitIngress("default", "web", "198.51.100.0", "default")
	h.waitEvent("IPAllocated")
	// The status write triggers another reconcile, which must write nothing.
	h.create(lb("marker"))
	h.waitIngress("default", "marker", "198.51.100.1", "default")
	writes := 0
	for _, a := range h.client.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok && p.GetName() == "web" {
			writes++
		}
		if a.GetVerb() == "update" && a.GetResource().Resource == "services" {
			t.Errorf("unexpected update: %v", a)
		}
	}
	if writes != 1 {
		t.Fatalf("%d writes to Service web, want 1", writes)
	}
}

func TestClassFiltering(t *testing.T) {
	class := func(c string) func(*corev1.Service) {
		return func(s *corev1.Service) { s.Spec.LoadBalancerClass = &c }
	}
	cases := []struct {
		name      string
		classless bool
		svc       *corev1.Service
		handled   bool
	}{
		{"classless handled by default", true, lb("a"), true},
		{"classless ignored", false, lb("a"), false},
		{"our class", false, lb("a", class(v1alpha1.LoadBalancerClass)), true},
		{"another class", true, lb("a", class("metallb.io/metallb")), false},
		{"not a LoadBalancer", true, lb("a", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP }), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.HandleClassless = tc.classless
			h := newHarness(t, opts, []runtime.Object{pool("default", "198.51.100.0/24")})
			h.start()
			h.create(tc.svc)
			h.create(lb("marker", class(v1alpha1.LoadBalancerClass)))
			// Two workers: a and marker are handled in either order.
			h.eventually("marker allocated", func() string {
				if got, _ := h.ingress("default", "marker"); got == "" {
					return "no ingress yet"
				}
				return ""
			})
			if tc.handled {
				h.eventually("a allocated", func() string {
					if got, _ := h.ingress("default", "a"); got == "" {
						return "no ingress"
					}
					return ""
				})
				return
			}
			// The controller had as long as marker took, and 300 ms more.
			for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				if got, _ := h.ingress("default", "a"); got != "" {
					t.Fatalf("a Service the controller must ignore got ingress %q", got)
				}
			}
		})
	}
}

func TestTypeChangeReleases(t *testing.T) {
	h := newHarness(t, Options{}, []runtime.Object{pool("default", "198.51.100.0/24")})
	h.start()
	h.create(lb("web"))
	h.waitIngress("default", "web", "198.51.100.0", "default")
	svc, err := h.client.CoreV1().Services("default").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc.Spec.Type = corev1.ServiceTypeClusterIP
	svc.Status = corev1.ServiceStatus{} // what the apiserver does on a type change
	if _, err := h.client.CoreV1().Services("default").Update(context.Background(), svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.waitEvent("IPReleased", "198.51.100.0")
	h.waitIngress("default", "web", "", "")
	h.create(lb("next"))
	h.waitIngress("default", "next", "198.51.100.0", "default")
}
