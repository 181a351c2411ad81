package nodeagent

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pid returns the pid of the single running process.
func (h *harness) pid() int {
	h.t.Helper()
	var pids []int
	h.eventually("one process", func() string {
		if pids = h.rt.running(); len(pids) != 1 {
			return fmt.Sprintf("running: %v", pids)
		}
		return ""
	})
	return pids[0]
}

func TestCrashedContainerRestartsWithBackoff(t *testing.T) {
	h := newHarness(t, testConfig(t))
	h.assignPodCIDRs("10.244.1.0/24")
	h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80))
	h.readyPod("web-1")

	first := h.pid()
	h.rt.exit(first, 1, 0)
	h.eventually("restarted once", func() string {
		p := h.pod("web-1")
		cs := p.Status.ContainerStatuses[0]
		if cs.RestartCount != 1 || cs.State.Running == nil {
			return statusString(p)
		}
		last := cs.LastTerminationState.Terminated
		if last == nil || last.ExitCode != 1 || last.Reason != "Error" {
			return fmt.Sprintf("lastState = %+v", cs.LastTerminationState)
		}
		return ""
	})
	second := h.pid()
	if second == first {
		t.Fatal("no new process")
	}
	// The second crash comes inside the back-off: CrashLoopBackOff, then a restart.
	h.rt.exit(second, 2, 0)
	h.eventually("CrashLoopBackOff", func() string {
		p := h.pod("web-1")
		cs := p.Status.ContainerStatuses[0]
		if w := cs.State.Waiting; w == nil || w.Reason != ReasonCrashLoopBackOff || p.Status.Phase != corev1.PodRunning ||
			condition(p, corev1.PodReady) != corev1.ConditionFalse {
			return statusString(p)
		}
		return ""
	})
	h.eventually("restarted twice", func() string {
		p := h.pod("web-1")
		cs := p.Status.ContainerStatuses[0]
		if cs.RestartCount != 2 || cs.State.Running == nil || !cs.Ready {
			return statusString(p)
		}
		if last := cs.LastTerminationState.Terminated; last == nil || last.ExitCode != 2 {
			return fmt.Sprintf("lastState = %+v", cs.LastTerminationState)
		}
		return ""
	})
}

func TestRestartPolicy(t *testing.T) {
	for _, tc := range []struct {
		policy    corev1.RestartPolicy
		exit      int32
		wantPhase corev1.PodPhase
	}{
		{corev1.RestartPolicyNever, 1, corev1.PodFailed},
		{corev1.RestartPolicyNever, 0, corev1.PodSucceeded},
		{corev1.RestartPolicyOnFailure, 0, corev1.PodSucceeded},
	} {
		t.Run(fmt.Sprintf("%s-exit%d", tc.policy, tc.exit), func(t *testing.T) {
			h := newHarness(t, testConfig(t))
			h.assignPodCIDRs("10.244.1.0/24")
			pod := nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80)
			pod.Spec.RestartPolicy = tc.policy
			h.createPod(pod)
			h.readyPod("web-1")
			h.rt.exit(h.pid(), tc.exit, 0)
			h.eventually("terminal", func() string {
				p := h.pod("web-1")
				cs := p.Status.ContainerStatuses[0]
				if p.Status.Phase != tc.wantPhase || cs.State.Terminated == nil || cs.State.Terminated.ExitCode != tc.exit || cs.RestartCount != 0 {
					return statusString(p)
				}
				return ""
			})
			// A terminal pod keeps its status and gives back its network.
			h.eventually("released", func() string {
				pods, _, _ := h.net.snapshot()
				if held, _ := h.agent.ipam.Owners(); len(pods) != 0 || len(held) != 0 {
					return fmt.Sprintf("networks %v, IPs %v", pods, held)
				}
				return ""
			})
			if starts, _ := h.rt.snapshot(); len(starts) != 1 {
				t.Errorf("started %d times, want once", len(starts))
			}
		})
	}
}

func TestOnFailureRestartsOnError(t *testing.T) {
	h := newHarness(t, testConfig(t))
	h.assignPodCIDRs("10.244.1.0/24")
	pod := nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80)
	pod.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	h.createPod(pod)
	h.readyPod("web-1")
	h.rt.exit(h.pid(), 1, 0)
	h.eventually("restarted", func() string {
		if cs := h.pod("web-1").Status.ContainerStatuses[0]; cs.RestartCount != 1 || cs.State.Running == nil {
			return statusString(h.pod("web-1"))
		}
		return ""
	})
}

func TestRoutesToOtherNodes(t *testing.T) {
	other := func(name, v4, v6, cidr4, cidr6 string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.NodeSpec{PodCIDRs: []string{cidr4, cidr6}},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: v4}, {Type: corev1.NodeInternalIP, Address: v6},
				{Type: corev1.NodeHostName, Address: name}}}}
	}
	h := newHarness(t, testConfig(t),
		other("node2", "10.89.0.11", "fd00:89::11", "10.244.2.0/24", "fd00:10:244:2::/64"))
	h.assignPodCIDRs("10.244.1.0/24", "fd00:10:244:1::/64")
	route := func(dst, via string) Route {
		return Route{Dst: netip.MustParsePrefix(dst), Via: netip.MustParseAddr(via)}
	}
	want := []Route{route("10.244.2.0/24", "10.89.0.11"), route("fd00:10:244:2::/64", "fd00:89::11")}
	h.eventually("routes to node2", func() string {
		if _, r, _ := h.net.snapshot(); !slices.Equal(r, want) {
			return fmt.Sprintf("routes = %v, want %v", r, want)
		}
		return ""
	})
	n3 := other("node3", "10.89.0.12", "fd00:89::12", "10.244.3.0/24", "fd00:10:244:3::/64")
	if _, err := h.client.CoreV1().Nodes().Create(context.Background(), n3, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want3 := []Route{route("10.244.2.0/24", "10.89.0.11"), route("10.244.3.0/24", "10.89.0.12"),
		route("fd00:10:244:2::/64", "fd00:89::11"), route("fd00:10:244:3::/64", "fd00:89::12")}
	h.eventually("routes to node2 and node3", func() string {
		if _, r, _ := h.net.snapshot(); !slices.Equal(r, want3) {
			return fmt.Sprintf("routes = %v, want %v", r, want3)
		}
		return ""
	})
	h.eventually("masquerade", func() string {
		h.net.mu.Lock()
		defer h.net.mu.Unlock()
		if fmt.Sprint(h.net.own) != "[10.244.1.0/24 fd00:10:244:1::/64]" || len(h.net.cluster) != 6 {
			return fmt.Sprintf("own %v, cluster %v", h.net.own, h.net.cluster)
		}
		return ""
	})
	if err := h.client.CoreV1().Nodes().Delete(context.Background(), "node2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	want = []Route{route("10.244.3.0/24", "10.89.0.12"), route("fd00:10:244:3::/64", "fd00:89::12")}
	h.eventually("route to node2 removed", func() string {
		if _, r, _ := h.net.snapshot(); !slices.Equal(r, want) {
			return fmt.Sprintf("routes = %v, want %v", r, want)
		}
		return ""
	})
}

func TestRestartedAgentAdoptsAndCleansUp(t *testing.T) {
	cfg := testConfig(t)
	h := newHarness(t, cfg)
	h.assignPodCIDRs("10.244.1.0/24")
	h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80))
	// Their UIDs share the first 8 digits: web-2 gets a hashed name.
	h.createPod(nginxPod("web-2", "0a1b2c3d-0000-4000-8000-000000000002", "nginx", 80))
	h.readyPod("web-1")
	h.readyPod("web-2")
	if pods, _, _ := h.net.snapshot(); len(pods) != 2 {
		t.Fatalf("pod networks = %v, want two", pods)
	}

	// SIGTERM: the agent goes, its pods stay.
	h.stop()
	if _, signals := h.rt.snapshot(); len(signals) != 0 || len(h.rt.running()) != 2 {
		t.Fatalf("stopping the agent touched its pods: signals %v, running %v", signals, h.rt.running())
	}
	// While it is down: web-2 is deleted, an orphan network and a stale IP appear.
	if err := h.client.CoreV1().Pods("default").Delete(context.Background(), "web-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.net.orphans = []PodNetwork{{Netns: "t_pod-deadbeef", HostVeth: "vethdeadbeef"}}
	if err := os.WriteFile(filepath.Join(cfg.RunDir, "ipam", "10.244.1.200"), []byte("gone-uid"), 0o644); err != nil {
		t.Fatal(err)
	}
	startsBefore, _ := h.rt.snapshot()

	h.start()
	h.eventually("web-2 cleaned up, orphan removed", func() string {
		pods, _, calls := h.net.snapshot()
		if _, ok := pods["t_pod-0a1b2c3d-0000-4000-8000-000000000001"]; !ok || len(pods) != 1 {
			return fmt.Sprintf("networks = %v after %q", pods, calls)
		}
		h.net.mu.Lock()
		orphans := len(h.net.orphans)
		h.net.mu.Unlock()
		if orphans != 0 {
			return "orphan network not torn down"
		}
		held, _ := h.agent.ipam.Owners()
		if len(held) != 1 {
			return fmt.Sprintf("allocations = %v", held)
		}
		return ""
	})
	if r := h.rt.running(); len(r) != 1 {
		t.Errorf("running = %v, want web-1's process only", r)
	}
	if starts, _ := h.rt.snapshot(); len(starts) != len(startsBefore) {
		t.Errorf("the restarted agent started %d processes; it should adopt web-1's", len(starts)-len(startsBefore))
	}
	p := h.readyPod("web-1")
	if cs := p.Status.ContainerStatuses[0]; cs.RestartCount != 0 || !cs.Ready {
		t.Errorf("adopted container = %+v", cs)
	}
}

func TestNetworkFailureIsReported(t *testing.T) {
	h := newHarness(t, testConfig(t))
	h.net.failSetup = fmt.Errorf("failed to create veth: file exists")
	h.assignPodCIDRs("10.244.1.0/24")
	h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80))
	h.eventually("ContainerCreating with the error", func() string {
		p := h.pod("web-1")
		if len(p.Status.ContainerStatuses) == 0 {
			return "no status"
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		if w == nil || w.Reason != ReasonContainerCreating || w.Message != "failed to create veth: file exists" {
			return statusString(p)
		}
		return ""
	})
	h.net.mu.Lock()
	h.net.failSetup = nil
	h.net.mu.Unlock()
	h.readyPod("web-1")
}

func TestRoutesOnceNodesMayBeListed(t *testing.T) {
	cfg := testConfig(t)
	cfg.NodeListRetry = 20 * time.Millisecond
	node2 := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node2"},
		Spec:   corev1.NodeSpec{PodCIDRs: []string{"10.244.2.0/24"}},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.89.0.11"}}}}
	allowed := atomic.Bool{}
	h := newHarnessWith(t, cfg, func(c *fake.Clientset) {
		c.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
			r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
			r.Status.Allowed = allowed.Load()
			return true, r, nil
		})
	}, node2)
	h.assignPodCIDRs("10.244.1.0/24")
	h.readyNode()
	if _, r, _ := h.net.snapshot(); len(r) != 0 {
		t.Fatalf("routes without permission to list Nodes: %v", r)
	}
	// The pods of this node run meanwhile.
	h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80))
	h.readyPod("web-1")
	allowed.Store(true) // the control plane applies RBAC()
	want := []Route{{Dst: netip.MustParsePrefix("10.244.2.0/24"), Via: netip.MustParseAddr("10.89.0.11")}}
	h.eventually("route to node2", func() string {
		if _, r, _ := h.net.snapshot(); !slices.Equal(r, want) {
			return fmt.Sprintf("routes = %v", r)
		}
		return ""
	})
}
