package nodeagent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// harness is an agent for node1 against a fake API server, with recording
// network and runtime fakes.
type harness struct {
	t      *testing.T
	agent  *Agent
	client *fake.Clientset
	net    *fakeNetwork
	rt     *fakeRuntime
	prober *fakeProber
	// network is what the agent gets: net, or a wrapper of it (CNI mode).
	network Network
	cfg     Config
	cancel  context.CancelFunc
	done    chan error
}

func testConfig(t *testing.T) Config {
	return Config{
		Kubeconfig: "unused", Node: "node1", Lab: "t", Role: RoleWorker,
		NodeIPs: []netip.Addr{netip.MustParseAddr("10.89.0.10"), netip.MustParseAddr("fd00:89::10")},
		Labels:  map[string]string{"rack": "r1"},
		Taints:  []corev1.Taint{{Key: "dedicated", Value: "lb", Effect: corev1.TaintEffectNoSchedule}},
		RunDir:  t.TempDir(),
		Resync:  50 * time.Millisecond, BackoffBase: 100 * time.Millisecond, BackoffMax: 400 * time.Millisecond,
		ProbeFastInterval: time.Millisecond,
	}
}

// newHarness starts an agent; objects are preloaded into the fake API.
func newHarness(t *testing.T, cfg Config, objects ...runtime.Object) *harness {
	t.Helper()
	return newHarnessWith(t, cfg, nil, objects...)
}

// newHarnessWith lets setup add reactors to the fake before the agent starts
// (they take precedence over the harness's own).
func newHarnessWith(t *testing.T, cfg Config, setup func(*fake.Clientset), objects ...runtime.Object) *harness {
	t.Helper()
	return newHarnessNet(t, cfg, nil, setup, objects...)
}

// newHarnessNet gives the agent wrap(h.net) as its network (nil: h.net).
func newHarnessNet(t *testing.T, cfg Config, wrap func(*fakeNetwork) Network, setup func(*fake.Clientset), objects ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objects...)
	// The fake authorizes nothing; the agent asks whether it may list Nodes.
	client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		r.Status.Allowed = true
		return true, r, nil
	})
	// Nor does it give objects UIDs; the Lease's owner reference needs the Node's.
	client.PrependReactor("create", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		n := a.(k8stesting.CreateAction).GetObject().(*corev1.Node)
		n.UID = types.UID("uid-" + n.Name)
		return false, nil, nil
	})
	if setup != nil {
		setup(client)
	}
	h := &harness{t: t, client: client, net: newFakeNetwork(), rt: newFakeRuntime(), prober: &fakeProber{ok: true}, cfg: cfg}
	h.network = h.net
	if wrap != nil {
		h.network = wrap(h.net)
	}
	h.start()
	return h
}

func (h *harness) start() {
	h.t.Helper()
	a, err := New(h.cfg, Deps{Client: h.client, Network: h.network, Runtime: h.rt, Prober: h.prober,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), UID: os.Getuid(), GID: os.Getgid()})
	if err != nil {
		h.t.Fatal(err)
	}
	if os.Getuid() == 0 { // New looked up www-data; files stay the test's
		a.uid, a.gid = 0, 0
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.agent, h.cancel, h.done = a, cancel, make(chan error, 1)
	go func() { h.done <- a.Run(ctx) }()
	h.t.Cleanup(h.stop)
}

// stop stops the agent as SIGTERM does.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("agent returned %v", err)
		}
	case <-time.After(5 * time.Second):
		h.t.Error("agent did not stop")
	}
	h.cancel = nil
}

// eventually polls cond until it returns "" or 5 s pass.
func (h *harness) eventually(what string, cond func() string) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) node(name string) *corev1.Node {
	n, err := h.client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return n
}

// assignPodCIDRs does what kube-controller-manager's node IPAM does.
func (h *harness) assignPodCIDRs(cidrs ...string) {
	h.t.Helper()
	h.eventually("node registered", func() string {
		if h.node("node1") == nil {
			return "no Node node1"
		}
		return ""
	})
	n := h.node("node1")
	n.Spec.PodCIDRs = cidrs
	n.Spec.PodCIDR = cidrs[0]
	if _, err := h.client.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) readyNode() {
	h.t.Helper()
	h.eventually("node Ready", func() string {
		if c := readyCondition(h.node("node1")); c == nil || c.Status != corev1.ConditionTrue {
			return fmt.Sprintf("Ready = %+v", c)
		}
		return ""
	})
}

func (h *harness) pod(name string) *corev1.Pod {
	p, err := h.client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return p
}

func (h *harness) createPod(p *corev1.Pod) *corev1.Pod {
	h.t.Helper()
	p, err := h.client.CoreV1().Pods(p.Namespace).Create(context.Background(), p, metav1.CreateOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// nginxPod is a pod bound to node1, as the scheduler leaves it.
func nginxPod(name, uid, image string, ports ...int32) *corev1.Pod {
	c := corev1.Container{Name: "web", Image: image}
	for _, p := range ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: p, Protocol: corev1.ProtocolTCP})
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(uid), Generation: 1},
		Spec: corev1.PodSpec{NodeName: "node1", Containers: []corev1.Container{c},
			RestartPolicy: corev1.RestartPolicyAlways},
		Status: corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSBestEffort,
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}},
	}
}

func condition(p *corev1.Pod, t corev1.PodConditionType) corev1.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

// readyPod waits until the named pod is Ready and returns it.
func (h *harness) readyPod(name string) *corev1.Pod {
	h.t.Helper()
	var p *corev1.Pod
	h.eventually("pod "+name+" Ready", func() string {
		if p = h.pod(name); p == nil {
			return "no pod"
		}
		if condition(p, corev1.PodReady) != corev1.ConditionTrue {
			return "not Ready: " + statusString(p)
		}
		return ""
	})
	return p
}

func statusString(p *corev1.Pod) string {
	s := string(p.Status.Phase)
	for _, cs := range p.Status.ContainerStatuses {
		s += " " + cs.Name + ":"
		switch {
		case cs.State.Running != nil:
			s += "running"
		case cs.State.Waiting != nil:
			s += "waiting(" + cs.State.Waiting.Reason + ": " + cs.State.Waiting.Message + ")"
		case cs.State.Terminated != nil:
			s += "terminated(" + cs.State.Terminated.Reason + ")"
		}
	}
	return s
}
