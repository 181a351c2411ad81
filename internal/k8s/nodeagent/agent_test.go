package nodeagent

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stesting "k8s.io/client-go/testing"
)

func TestRegisterNode(t *testing.T) {
	h := newHarness(t, testConfig(t))
	h.eventually("node registered", func() string {
		if h.node("node1") == nil {
			return "no Node"
		}
		return ""
	})
	n := h.node("node1")
	wantAddrs := []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: "10.89.0.10"},
		{Type: corev1.NodeInternalIP, Address: "fd00:89::10"},
		{Type: corev1.NodeHostName, Address: "node1"},
	}
	if !slices.Equal(n.Status.Addresses, wantAddrs) {
		t.Errorf("addresses = %v, want %v", n.Status.Addresses, wantAddrs)
	}
	for k, v := range map[string]string{"kubernetes.io/hostname": "node1", "kubernetes.io/os": "linux",
		"kubernetes.io/arch": h.agent.mach.arch, "rack": "r1", LabelRole: RoleWorker} {
		if n.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, n.Labels[k], v)
		}
	}
	if len(n.Spec.Taints) != 1 || n.Spec.Taints[0].Key != "dedicated" || n.Spec.Taints[0].Effect != corev1.TaintEffectNoSchedule {
		t.Errorf("taints = %v", n.Spec.Taints)
	}
	if pods := n.Status.Capacity[corev1.ResourcePods]; pods.Value() != 110 {
		t.Errorf("pods capacity = %v", pods.String())
	}
	if cpu := n.Status.Allocatable[corev1.ResourceCPU]; cpu.Value() < 1 {
		t.Errorf("cpu allocatable = %v", cpu.String())
	}
	if mem := n.Status.Capacity[corev1.ResourceMemory]; mem.Value() < 1<<20 {
		t.Errorf("memory capacity = %v", mem.String())
	}
	if got := n.Status.NodeInfo; got.KubeletVersion != KubernetesVersion ||
		!strings.HasPrefix(got.ContainerRuntimeVersion, "lblab-netns://lblab-node-agent") || got.OperatingSystem != "linux" {
		t.Errorf("nodeInfo = %+v", got)
	}
	conds := map[corev1.NodeConditionType]corev1.NodeCondition{}
	for _, c := range n.Status.Conditions {
		conds[c.Type] = c
	}
	for _, ty := range []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		if conds[ty].Status != corev1.ConditionFalse {
			t.Errorf("%s = %q, want False", ty, conds[ty].Status)
		}
	}
	if c := conds[corev1.NodeReady]; c.Status != corev1.ConditionFalse || c.Reason != "NetworkNotReady" {
		t.Errorf("before podCIDRs: Ready = %s (%s), want False (NetworkNotReady)", c.Status, c.Reason)
	}

	h.assignPodCIDRs("10.244.1.0/24", "fd00:10:244:1::/64")
	h.eventually("node Ready", func() string {
		if c := readyCondition(h.node("node1")); c == nil || c.Status != corev1.ConditionTrue {
			return fmt.Sprintf("Ready = %+v", c)
		}
		return ""
	})
	h.eventually("lease", func() string {
		l, err := h.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(context.Background(), "node1", metav1.GetOptions{})
		if err != nil {
			return err.Error()
		}
		if *l.Spec.HolderIdentity != "node1" || *l.Spec.LeaseDurationSeconds != 40 || l.Spec.RenewTime == nil {
			return fmt.Sprintf("lease spec = %+v", l.Spec)
		}
		if len(l.OwnerReferences) != 1 || l.OwnerReferences[0].Kind != "Node" || l.OwnerReferences[0].Name != "node1" {
			return fmt.Sprintf("lease owners = %+v", l.OwnerReferences)
		}
		return ""
	})
}

func TestRegisterTakesOverExistingNode(t *testing.T) {
	old := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node1", Labels: map[string]string{"keep": "me"}},
		Spec: corev1.NodeSpec{PodCIDRs: []string{"10.244.1.0/24"}}}
	h := newHarness(t, testConfig(t), old)
	h.eventually("node Ready", func() string {
		n := h.node("node1")
		if c := readyCondition(n); c == nil || c.Status != corev1.ConditionTrue {
			return fmt.Sprintf("Ready = %+v", c)
		}
		if n.Labels["keep"] != "me" || n.Labels["kubernetes.io/hostname"] != "node1" {
			return fmt.Sprintf("labels = %v", n.Labels)
		}
		return ""
	})
}

func TestPodRunsAndBecomesReady(t *testing.T) {
	h := newHarness(t, testConfig(t))
	h.assignPodCIDRs("10.244.1.0/24", "fd00:10:244:1::/64")
	h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "docker.io/library/nginx:1.27", 80, 8080))
	p := h.readyPod("web-1")

	if p.Status.Phase != corev1.PodRunning {
		t.Errorf("phase = %s", p.Status.Phase)
	}
	wantIPs := []corev1.PodIP{{IP: "10.244.1.2"}, {IP: "fd00:10:244:1::1"}}
	if !slices.Equal(p.Status.PodIPs, wantIPs) || p.Status.PodIP != "10.244.1.2" {
		t.Errorf("podIPs = %v (podIP %s), want %v", p.Status.PodIPs, p.Status.PodIP, wantIPs)
	}
	if p.Status.HostIP != "10.89.0.10" || len(p.Status.HostIPs) != 2 || p.Status.HostIPs[1].IP != "fd00:89::10" {
		t.Errorf("hostIPs = %s %v", p.Status.HostIP, p.Status.HostIPs)
	}
	if p.Status.StartTime == nil {
		t.Error("no startTime")
	}
	for _, ty := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodReadyToStartContainers,
		corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		if condition(p, ty) != corev1.ConditionTrue {
			t.Errorf("condition %s = %q", ty, condition(p, ty))
		}
	}
	cs := p.Status.ContainerStatuses[0]
	if !cs.Ready || cs.Started == nil || !*cs.Started || cs.State.Running == nil || cs.RestartCount != 0 ||
		!strings.HasPrefix(cs.ContainerID, "lblab-netns://") || cs.Image != "docker.io/library/nginx:1.27" {
		t.Errorf("container status = %+v", cs)
	}
	dir := filepath.Join(h.cfg.RunDir, "pods", "default_web-1")
	if got := p.Annotations[AnnotationAccessLog]; got != filepath.Join(dir, "access.log") {
		t.Errorf("access-log annotation = %q", got)
	}

	pods, _, _ := h.net.snapshot()
	pn, ok := pods["t_pod-0a1b2c3d-0000-4000-8000-000000000001"]
	if !ok {
		t.Fatalf("no pod network t_pod-0a1b2c3d-0000-4000-8000-000000000001: %v", pods)
	}
	wantNet := PodNetwork{Netns: "t_pod-0a1b2c3d-0000-4000-8000-000000000001", HostVeth: "veth0a1b2c3d000",
		IPs:      []netip.Addr{netip.MustParseAddr("10.244.1.2"), netip.MustParseAddr("fd00:10:244:1::1")},
		Gateways: []netip.Addr{netip.MustParseAddr("10.244.1.1"), netip.MustParseAddr("fe80::1")},
		PodUID:   "0a1b2c3d-0000-4000-8000-000000000001", PodNamespace: "default", PodName: "web-1"}
	if fmt.Sprint(pn) != fmt.Sprint(wantNet) {
		t.Errorf("pod network = %+v, want %+v", pn, wantNet)
	}
	starts, _ := h.rt.snapshot()
	if len(starts) != 1 {
		t.Fatalf("starts = %v", starts)
	}
	s := starts[0]
	conf := filepath.Join(dir, "web.conf")
	if s.Netns != "t_pod-0a1b2c3d-0000-4000-8000-000000000001" || s.Argv[0] != nginxPath || !slices.Contains(s.Argv, conf) || s.Match != conf {
		t.Errorf("start = %+v", s)
	}
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"listen 80;", "listen [::]:80;", "listen 8080;", "listen [::]:8080;",
		`add_header X-Lblab-Pod "web-1" always;`, `add_header X-Lblab-Node "node1" always;`, "access_log " + filepath.Join(dir, "access.log")} {
		if !strings.Contains(string(data), want) {
			t.Errorf("nginx config lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "access.log")); err != nil {
		t.Errorf("access log not created: %v", err)
	}
	ipam, _ := h.agent.ipam.Owners()
	if len(ipam) != 2 {
		t.Errorf("allocations = %v", ipam)
	}
}

func TestNotReadyUntilProbeSucceeds(t *testing.T) {
	h := newHarness(t, testConfig(t))
	h.prober.set(false)
	h.assignPodCIDRs("10.244.1.0/24")
	h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80))
	h.eventually("running, not ready", func() string {
		p := h.pod("web-1")
		if p == nil || p.Status.Phase != corev1.PodRunning {
			return "not running"
		}
		if condition(p, corev1.PodReady) != corev1.ConditionFalse || p.Status.ContainerStatuses[0].Ready {
			return "Ready before nginx accepts connections"
		}
		return ""
	})
	h.prober.set(true)
	h.readyPod("web-1")
	h.prober.mu.Lock()
	spec := h.prober.specs[0]
	h.prober.mu.Unlock()
	if spec.HTTP || len(spec.Targets) != 1 || spec.Targets[0] != netip.MustParseAddrPort("10.244.1.2:80") {
		t.Errorf("default readiness check = %+v, want TCP to 10.244.1.2:80", spec)
	}
}

func TestUnsupportedImageWaits(t *testing.T) {
	h := newHarness(t, testConfig(t))
	h.assignPodCIDRs("10.244.1.0/24")
	h.createPod(nginxPod("bb", "0a1b2c3d-0000-4000-8000-000000000002", "busybox:1.36"))
	h.eventually("waiting ImageUnsupported", func() string {
		p := h.pod("bb")
		if len(p.Status.ContainerStatuses) == 0 {
			return "no container status"
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		if w == nil || w.Reason != ReasonImageUnsupported {
			return statusString(p)
		}
		for _, want := range []string{"only nginx images", "busybox:1.36", "kind backend"} {
			if !strings.Contains(w.Message, want) {
				return fmt.Sprintf("message %q lacks %q", w.Message, want)
			}
		}
		if p.Status.Phase != corev1.PodPending || condition(p, corev1.PodReady) != corev1.ConditionFalse {
			return statusString(p)
		}
		return ""
	})
	h.eventually("warning event", func() string {
		ev, _ := h.client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{})
		for _, e := range ev.Items {
			if e.Reason == ReasonImageUnsupported && e.Type == corev1.EventTypeWarning {
				return ""
			}
		}
		return fmt.Sprintf("events = %d, none ImageUnsupported", len(ev.Items))
	})
	starts, _ := h.rt.snapshot()
	pods, _, _ := h.net.snapshot()
	if len(starts) != 0 || len(pods) != 0 {
		t.Errorf("unsupported pod was started: %v %v", starts, pods)
	}
}

// A hostNetwork pod the agent does not run (MetalLB's speaker, which lblab
// runs as a process) still has the node's IPs as its pod IPs, as the
// kubelet reports them: MetalLB's speakers find each other by them.
func TestHostNetworkPodHasNodeIPs(t *testing.T) {
	cfg := testConfig(t)
	h := newHarness(t, cfg)
	h.assignPodCIDRs("10.244.1.0/24")
	p := nginxPod("speaker", "0a1b2c3d-0000-4000-8000-000000000009", "quay.io/metallb/speaker:v0.15.2")
	p.Spec.HostNetwork = true
	h.createPod(p)
	h.eventually("pod IPs of the node", func() string {
		got := h.pod("speaker").Status
		if len(cfg.NodeIPs) == 0 || got.PodIP != cfg.NodeIPs[0].String() || len(got.PodIPs) != len(cfg.NodeIPs) || got.HostIP != got.PodIP {
			return fmt.Sprintf("podIP %q podIPs %v hostIP %q, want the node's %v", got.PodIP, got.PodIPs, got.HostIP, cfg.NodeIPs)
		}
		return ""
	})
}

func TestDeleteStopsCleansUpAndFinalizes(t *testing.T) {
	h := newHarness(t, testConfig(t))
	h.assignPodCIDRs("10.244.1.0/24", "fd00:10:244:1::/64")
	h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80))
	p := h.readyPod("web-1")

	// What the API server does on a graceful delete.
	now := metav1.Now()
	grace := int64(30)
	p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &now, &grace
	if _, err := h.client.CoreV1().Pods("default").Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.eventually("pod deleted", func() string {
		if h.pod("web-1") != nil {
			return "pod still exists"
		}
		return ""
	})
	var del k8stesting.DeleteActionImpl
	for _, a := range h.client.Actions() {
		if d, ok := a.(k8stesting.DeleteActionImpl); ok && d.Resource.Resource == "pods" {
			del = d
		}
	}
	if o := del.DeleteOptions; o.GracePeriodSeconds == nil || *o.GracePeriodSeconds != 0 ||
		o.Preconditions == nil || string(*o.Preconditions.UID) != string(p.UID) {
		t.Errorf("finalizing delete = %+v, want grace 0 and UID precondition", o)
	}
	_, signals := h.rt.snapshot()
	if len(signals) != 1 || !strings.HasSuffix(signals[0], "quit") {
		t.Errorf("signals = %v, want one SIGQUIT", signals)
	}
	if r := h.rt.running(); len(r) != 0 {
		t.Errorf("processes still running: %v", r)
	}
	pods, _, calls := h.net.snapshot()
	if len(pods) != 0 || !slices.Contains(calls, "teardown t_pod-0a1b2c3d-0000-4000-8000-000000000001 veth0a1b2c3d000") {
		t.Errorf("network not torn down: %v", calls)
	}
	if held, _ := h.agent.ipam.Owners(); len(held) != 0 {
		t.Errorf("IPs still allocated: %v", held)
	}
	if _, err := os.Stat(filepath.Join(h.cfg.RunDir, "pods", "default_web-1")); !os.IsNotExist(err) {
		t.Errorf("pod directory left behind: %v", err)
	}
}

func TestDeleteEscalatesToSIGKILL(t *testing.T) {
	h := newHarness(t, testConfig(t))
	h.rt.ignoreQuit = true
	h.assignPodCIDRs("10.244.1.0/24")
	h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80))
	p := h.readyPod("web-1")
	now := metav1.Now()
	grace := int64(0)
	p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &now, &grace
	if _, err := h.client.CoreV1().Pods("default").Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.eventually("pod deleted", func() string {
		if h.pod("web-1") != nil {
			return "pod still exists"
		}
		return ""
	})
	_, signals := h.rt.snapshot()
	if len(signals) < 2 || !strings.HasSuffix(signals[0], "quit") || !strings.HasSuffix(signals[len(signals)-1], "killed") {
		t.Errorf("signals = %v, want SIGQUIT then SIGKILL", signals)
	}
}

func TestForceDeletedPodIsCleanedUp(t *testing.T) {
	h := newHarness(t, testConfig(t))
	h.assignPodCIDRs("10.244.1.0/24")
	h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80))
	h.readyPod("web-1")
	if err := h.client.CoreV1().Pods("default").Delete(context.Background(), "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.eventually("cleaned up", func() string {
		pods, _, _ := h.net.snapshot()
		if len(pods) != 0 || len(h.rt.running()) != 0 {
			return fmt.Sprintf("networks %v, processes %v", pods, h.rt.running())
		}
		return ""
	})
}
