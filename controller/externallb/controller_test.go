package externallb

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

// Nodes of a dual-stack cluster: node3 has no IPv6 address.
func dualNodes() []runtime.Object {
	return []runtime.Object{
		testNode("node1", []string{"10.0.0.11", "fd00::11"}),
		testNode("node2", []string{"10.0.0.12", "fd00::12"}),
		testNode("node3", []string{"10.0.0.13"}),
	}
}

func TestController(t *testing.T) {
	const (
		v4web = "198.51.100.10:80 -> node1=10.0.0.11:30080 node2=10.0.0.12:30080 node3=10.0.0.13:30080"
		v6web = "[2001:db8:100::]:80 -> node1=[fd00::11]:30080 node2=[fd00::12]:30080"
	)
	tests := []struct {
		name string
		opts func(*Options)
		objs []runtime.Object
		run  func(h *harness)
	}{
		{name: "ipv4: an address, the finalizer, a frontend to every node", run: func(h *harness) {
			h.create(lbService("default", "web"))
			h.waitStatus("default", "web", "198.51.100.10/Proxy")
			if !h.hasFinalizer("default", "web") {
				h.t.Error("no finalizer")
			}
			h.waitLBHost("[198.51.100.10]", map[string]string{"default_web_80_v4": v4web})
			h.waitEvent("Normal EnsuringLoadBalancer")
			h.waitEvent("Normal EnsuredLoadBalancer", "198.51.100.10")
		}},
		{name: "ipv6: an address from the IPv6 pool, nodes with an IPv6 address", run: func(h *harness) {
			h.create(lbService("default", "web", families6(corev1.IPv6Protocol)))
			h.waitStatus("default", "web", "2001:db8:100::/Proxy")
			h.waitLBHost("[2001:db8:100::]", map[string]string{"default_web_80_v6": v6web})
		}},
		{name: "dual-stack: one address per family, in spec.ipFamilies order", run: func(h *harness) {
			h.create(lbService("default", "web", families6(corev1.IPv6Protocol, corev1.IPv4Protocol)))
			h.waitStatus("default", "web", "2001:db8:100::/Proxy,198.51.100.10/Proxy")
			h.waitLBHost("[198.51.100.10 2001:db8:100::]", map[string]string{"default_web_80_v4": v4web, "default_web_80_v6": v6web})
		}},
		{name: "a restarted controller keeps the addresses in status", objs: []runtime.Object{
			lbService("default", "old", func(s *corev1.Service) {
				s.Finalizers = []string{Finalizer}
				s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "198.51.100.13"}}
			}),
			// Outside every pool: not kept, a pool address instead.
			lbService("default", "foreign", func(s *corev1.Service) {
				s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.5"}}
			}),
		}, run: func(h *harness) {
			h.waitStatus("default", "old", "198.51.100.13/Proxy")
			h.waitStatus("default", "foreign", "198.51.100.10/Proxy")
			h.create(lbService("default", "new"))
			h.waitStatus("default", "new", "198.51.100.11/Proxy")
			for _, e := range h.allEvents() {
				if strings.Contains(e, "AllocationFailed") {
					h.t.Errorf("unexpected %s", e)
				}
			}
		}},
		{name: "an exhausted pool: AllocationFailed naming it, no status", opts: func(o *Options) {
			o.Pools, _ = ParsePools([]string{"198.51.100.10/32"})
		}, run: func(h *harness) {
			h.create(lbService("default", "a"))
			h.waitStatus("default", "a", "198.51.100.10/Proxy")
			h.create(lbService("default", "b"))
			h.waitEvent("Warning AllocationFailed", "no free IPv4 address: pools 198.51.100.10 are exhausted")
			if got := h.status("default", "b"); got != "" {
				h.t.Errorf("b got %q", got)
			}
			if !h.hasFinalizer("default", "b") {
				h.t.Error("b has no finalizer")
			}
			// Released by a, reused by b.
			h.deleteService("default", "a")
			h.waitStatus("default", "b", "198.51.100.10/Proxy")
			h.waitLBHost("[198.51.100.10]", map[string]string{"default_b_80_v4": v4web})
		}},
		{name: "spec.loadBalancerIP: honoured in a pool, refused outside or when not an address", run: func(h *harness) {
			h.create(lbService("default", "a", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "198.51.100.15" }))
			h.waitStatus("default", "a", "198.51.100.15/Proxy")
			h.create(lbService("default", "out", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "203.0.113.1" }))
			h.waitEvent("Warning AllocationFailed", "spec.loadBalancerIP 203.0.113.1 is in no pool (198.51.100.10-198.51.100.19)")
			h.create(lbService("default", "taken", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "198.51.100.15" }))
			h.waitEvent("Warning AllocationFailed", "spec.loadBalancerIP 198.51.100.15 is in use by Service default/a")
			h.create(lbService("default", "bad", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "not-an-ip" }))
			h.waitEvent("Warning AllocationFailed", `spec.loadBalancerIP "not-an-ip" is not an IP address`)
			for _, name := range []string{"out", "taken", "bad"} {
				if got := h.status("default", name); got != "" {
					h.t.Errorf("%s got %q", name, got)
				}
			}
		}},
		{name: "excluded, not ready, being deleted and address-less nodes get no traffic", objs: []runtime.Object{
			testNode("node1", []string{"10.0.0.11"}),
			testNode("node2", []string{"10.0.0.12"}, func(n *corev1.Node) { n.Labels = map[string]string{ExcludeLabel: ""} }),
			testNode("node3", []string{"10.0.0.13"}, func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }),
			testNode("node4", []string{"10.0.0.14"}, func(n *corev1.Node) {
				now := metav1.Now()
				n.DeletionTimestamp, n.Finalizers = &now, []string{"test"}
			}),
			testNode("node5", nil),
			testNode("node6", []string{"10.0.0.16"}, func(n *corev1.Node) { n.Status.Conditions = nil }),
		}, run: func(h *harness) {
			h.create(lbService("default", "web"))
			h.waitLBHost("[198.51.100.10]", map[string]string{"default_web_80_v4": "198.51.100.10:80 -> node1=10.0.0.11:30080"})
			// node3 becomes Ready: it is added.
			n, _ := h.client.CoreV1().Nodes().Get(h.t.Context(), "node3", metav1.GetOptions{})
			n.Status.Conditions[0].Status = corev1.ConditionTrue
			if _, err := h.client.CoreV1().Nodes().UpdateStatus(h.t.Context(), n, metav1.UpdateOptions{}); err != nil {
				h.t.Fatal(err)
			}
			h.waitLBHost("[198.51.100.10]", map[string]string{"default_web_80_v4": "198.51.100.10:80 -> node1=10.0.0.11:30080 node3=10.0.0.13:30080"})
		}},
		{name: "externalTrafficPolicy Local checks /healthz on healthCheckNodePort", run: func(h *harness) {
			h.create(lbService("default", "web", families6(corev1.IPv4Protocol, corev1.IPv6Protocol), func(s *corev1.Service) {
				s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
				s.Spec.HealthCheckNodePort = 32000
			}))
			h.waitLBHost("[198.51.100.10 2001:db8:100::]", map[string]string{
				"default_web_80_v4": "198.51.100.10:80 -> node1=10.0.0.11:30080(http 32000/healthz) node2=10.0.0.12:30080(http 32000/healthz) node3=10.0.0.13:30080(http 32000/healthz)",
				"default_web_80_v6": "[2001:db8:100::]:80 -> node1=[fd00::11]:30080(http 32000/healthz) node2=[fd00::12]:30080(http 32000/healthz)",
			})
		}},
		{name: "UDP ports are not forwarded, with an event", run: func(h *harness) {
			h.create(lbService("default", "dns", func(s *corev1.Service) {
				s.Spec.Ports = []corev1.ServicePort{
					{Name: "dns", Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP},
					{Name: "dns-tcp", Port: 53, NodePort: 30054, Protocol: corev1.ProtocolTCP},
				}
			}))
			h.waitLBHost("[198.51.100.10]", map[string]string{
				"default_dns_53_v4": "198.51.100.10:53 -> node1=10.0.0.11:30054 node2=10.0.0.12:30054 node3=10.0.0.13:30054"})
			h.waitEvent("Warning PortNotForwarded", "port 53/UDP is not forwarded")
		}},
		{name: "deleted: frontend, address and finalizer go, the address is reused", run: func(h *harness) {
			h.create(lbService("default", "a", families6(corev1.IPv4Protocol, corev1.IPv6Protocol)))
			h.waitStatus("default", "a", "198.51.100.10/Proxy,2001:db8:100::/Proxy")
			h.deleteService("default", "a")
			h.waitLBHost("[]", map[string]string{})
			h.waitEvent("Normal DeletingLoadBalancer")
			h.waitEvent("Normal DeletedLoadBalancer")
			h.create(lbService("other", "b", families6(corev1.IPv4Protocol, corev1.IPv6Protocol)))
			h.waitStatus("other", "b", "198.51.100.10/Proxy,2001:db8:100::/Proxy")
		}},
		{name: "type changed to ClusterIP: released and status cleared", run: func(h *harness) {
			h.create(lbService("default", "a"))
			h.waitStatus("default", "a", "198.51.100.10/Proxy")
			h.updateService("default", "a", func(s *corev1.Service) {
				s.Spec.Type, s.Spec.LoadBalancerClass = corev1.ServiceTypeClusterIP, nil
			})
			h.waitStatus("default", "a", "")
			h.eventually("finalizer removed", func() string {
				if h.hasFinalizer("default", "a") {
					return "still there"
				}
				return ""
			})
			h.waitLBHost("[]", map[string]string{})
			h.waitEvent("Normal DeletedLoadBalancer")
		}},
		{name: "class changed: released, status cleared, the other class's address kept", run: func(h *harness) {
			h.create(lbService("default", "a"))
			h.waitStatus("default", "a", "198.51.100.10/Proxy")
			h.updateService("default", "a", func(s *corev1.Service) {
				other := "example.com/other"
				s.Spec.LoadBalancerClass = &other
				s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: "203.0.113.9"})
			})
			h.waitStatus("default", "a", "203.0.113.9/-")
			h.waitLBHost("[]", map[string]string{})
			h.eventually("finalizer removed", func() string {
				if h.hasFinalizer("default", "a") {
					return "still there"
				}
				return ""
			})
		}},
		{name: "other classes and class-less Services are ignored entirely", objs: []runtime.Object{
			lbService("default", "classless", class("")),
			lbService("default", "other", class("example.com/other")),
		}, run: func(h *harness) {
			h.create(lbService("default", "later", class("example.com/other")))
			h.create(lbService("default", "mine"))
			h.waitStatus("default", "mine", "198.51.100.10/Proxy")
			time.Sleep(50 * time.Millisecond)
			for _, name := range []string{"classless", "other", "later"} {
				if got := h.status("default", name); got != "" || h.hasFinalizer("default", name) {
					h.t.Errorf("%s: status %q, finalizers %v", name, got, h.svc("default", name).Finalizers)
				}
			}
			for _, e := range h.allEvents() {
				if !strings.Contains(e, "Ensur") {
					h.t.Errorf("unexpected event %s", e)
				}
			}
			h.waitLBHost("[198.51.100.10]", map[string]string{"default_mine_80_v4": v4web})
		}},
		{name: "a Service that cannot get the finalizer yet is not programmed, the others are", run: func(h *harness) {
			var fail atomic.Bool
			fail.Store(true)
			h.client.PrependReactor("patch", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if p := a.(k8stesting.PatchAction); fail.Load() && p.GetName() == "stuck" && p.GetSubresource() == "" {
					return true, nil, errors.New("admission says no")
				}
				return false, nil, nil
			})
			h.create(lbService("default", "stuck"))
			h.create(lbService("default", "fine"))
			// stuck is older: its address is set aside for it.
			h.waitStatus("default", "fine", "198.51.100.11/Proxy")
			h.waitLBHost("[198.51.100.11]", map[string]string{"default_fine_80_v4": strings.ReplaceAll(v4web, ".10:", ".11:")})
			if got := h.status("default", "stuck"); got != "" {
				h.t.Errorf("stuck got %q without its finalizer", got)
			}
			fail.Store(false)
			h.waitStatus("default", "stuck", "198.51.100.10/Proxy")
		}},
		{name: "a failing lb host: SyncLoadBalancerFailed, no status, then converges", run: func(h *harness) {
			h.prog.setErr(errors.New("netlink says no"))
			h.create(lbService("default", "a"))
			h.waitEvent("Warning SyncLoadBalancerFailed", "netlink says no")
			if got := h.status("default", "a"); got != "" {
				h.t.Errorf("status %q written before the lb host forwards it", got)
			}
			h.prog.setErr(nil)
			h.waitStatus("default", "a", "198.51.100.10/Proxy")
			h.waitEvent("Normal EnsuredLoadBalancer")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			objs := tt.objs
			if !hasNode(objs) {
				objs = append(objs, dualNodes()...)
			}
			tt.run(newHarness(t, opts, objs...))
		})
	}
}

func hasNode(objs []runtime.Object) bool {
	for _, o := range objs {
		if _, ok := o.(*corev1.Node); ok {
			return true
		}
	}
	return false
}
