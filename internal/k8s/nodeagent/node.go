package nodeagent

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	nodeutil "k8s.io/component-helpers/node/util"
)

// register creates the Node, or takes over the existing one (a restarted
// agent), retrying until the API server answers.
func (a *Agent) register(ctx context.Context) (*corev1.Node, error) {
	delay := 50 * time.Millisecond
	for {
		n, err := a.tryRegister(ctx)
		if err == nil {
			return n, nil
		}
		if apierrors.IsForbidden(err) || apierrors.IsInvalid(err) {
			return nil, fmt.Errorf("failed to register node %s: %w", a.cfg.Node, err)
		}
		a.log.Info("waiting for the API server to register the node", "err", err)
		if !sleepCtx(ctx, delay) {
			return nil, ctx.Err()
		}
		delay = min(2*delay, 2*time.Second)
	}
}

func (a *Agent) tryRegister(ctx context.Context) (*corev1.Node, error) {
	want := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: a.cfg.Node, Labels: a.cfg.nodeLabels(a.mach.arch)},
		Spec:       corev1.NodeSpec{Taints: a.cfg.Taints},
	}
	want.Status = a.nodeStatus(want, time.Now())
	n, err := a.client.CoreV1().Nodes().Create(ctx, want, metav1.CreateOptions{})
	if err == nil || !apierrors.IsAlreadyExists(err) {
		return n, err
	}
	// It exists: make sure it has our labels, then our status.
	old, err := a.client.CoreV1().Nodes().Get(ctx, a.cfg.Node, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	missing := map[string]string{}
	for k, v := range want.Labels {
		if old.Labels[k] != v {
			missing[k] = v
		}
	}
	if len(missing) > 0 {
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": missing}})
		if old, err = a.client.CoreV1().Nodes().Patch(ctx, a.cfg.Node, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return nil, err
		}
	}
	return a.patchNodeStatus(ctx, old, time.Now())
}

// nodeStatus is the status the agent reports, keeping transition times of
// conditions that did not change.
func (a *Agent) nodeStatus(old *corev1.Node, now time.Time) corev1.NodeStatus {
	t := mtime(now)
	var addrs []corev1.NodeAddress
	for _, ip := range a.cfg.NodeIPs {
		addrs = append(addrs, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip.String()})
	}
	addrs = append(addrs, corev1.NodeAddress{Type: corev1.NodeHostName, Address: a.cfg.Node})
	ready := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
		Reason: "KubeletReady", Message: "lblab node agent is posting ready status"}
	switch {
	case a.mach.nginxVer == "":
		ready.Status, ready.Reason = corev1.ConditionFalse, "KubeletNotReady"
		ready.Message = "container runtime is down: " + nginxPath + " does not run; install nginx-light (make setup)"
	case len(nodePodCIDRs(old)) == 0 && a.wiring.needsPodCIDRs():
		ready.Status, ready.Reason = corev1.ConditionFalse, "NetworkNotReady"
		ready.Message = "pod network is not ready: waiting for kube-controller-manager to set spec.podCIDRs (--allocate-node-cidrs)"
	}
	conds := []corev1.NodeCondition{
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory",
			Message: "lblab node agent does not evict pods on memory pressure"},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure",
			Message: "lblab node agent does not evict pods on disk pressure"},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID",
			Message: "lblab node agent does not evict pods on PID pressure"},
		ready,
	}
	for i := range conds {
		c := &conds[i]
		c.LastHeartbeatTime, c.LastTransitionTime = t, t
		for _, o := range old.Status.Conditions {
			if o.Type == c.Type && o.Status == c.Status && !o.LastTransitionTime.IsZero() {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
	}
	capacity := a.mach.capacity(a.cfg.MaxPods)
	return corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Conditions:  conds,
		Addresses:   addrs,
		NodeInfo:    a.mach.nodeInfo(),
		Phase:       old.Status.Phase,
		Images:      old.Status.Images,
		Features:    old.Status.Features,
	}
}

// nodeStatusChanged compares statuses without heartbeat times.
func nodeStatusChanged(old, cur corev1.NodeStatus) bool {
	strip := func(s corev1.NodeStatus) corev1.NodeStatus {
		s = *s.DeepCopy()
		for i := range s.Conditions {
			s.Conditions[i].LastHeartbeatTime = metav1.Time{}
		}
		return s
	}
	return !apiequality.Semantic.DeepEqual(strip(old), strip(cur))
}

func (a *Agent) patchNodeStatus(ctx context.Context, old *corev1.Node, now time.Time) (*corev1.Node, error) {
	n := old.DeepCopy()
	n.Status = a.nodeStatus(old, now)
	updated, _, err := nodeutil.PatchNodeStatus(a.client.CoreV1(), types.NodeName(a.cfg.Node), old, n)
	return updated, err
}

// kickNodeStatus asks the node status loop to report now.
func (a *Agent) kickNodeStatus() {
	select {
	case a.statusKick <- struct{}{}:
	default:
	}
}

// nodeStatusLoop reports the node's status every 10 s when it changed, and
// every StatusReport (5 min) regardless, like the kubelet; the Lease is
// the frequent heartbeat.
func (a *Agent) nodeStatusLoop(ctx context.Context) {
	last := time.Now()
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.statusKick:
		}
		old := a.nodes.get()
		if old == nil {
			continue
		}
		now := time.Now()
		if !nodeStatusChanged(old.Status, a.nodeStatus(old, now)) && now.Sub(last) < a.cfg.StatusReport {
			continue
		}
		n, err := a.patchNodeStatus(ctx, old, now)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Error("failed to update node status", "err", err)
			}
			continue
		}
		last = now
		a.nodes.setSelf(n)
		if c := readyCondition(n); c != nil {
			a.log.Info("node status", "ready", c.Status, "reason", c.Reason)
		}
	}
}

func readyCondition(n *corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// mtime is t as the API stores it: whole seconds.
func mtime(t time.Time) metav1.Time {
	if t.IsZero() {
		return metav1.Time{}
	}
	return metav1.NewTime(t.Truncate(time.Second))
}

func containerID(id string) string {
	if id == "" {
		return ""
	}
	return "lblab-netns://" + id
}
