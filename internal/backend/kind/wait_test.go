package kind

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lblab/lblab/internal/topology"
)

func TestReadiness(t *testing.T) {
	notReady := readyNode("l-worker")
	notReady.Status.Conditions[0].Status = corev1.ConditionFalse
	notReady.Status.Conditions[0].Reason = "KubeletNotReady"
	notReady.Status.Conditions[0].Message = "container runtime network not ready: cni plugin not initialized"
	stale := rolledOut("kube-proxy", 2)
	stale.Generation = 2
	partial := rolledOut("kindnet", 2)
	partial.Status.NumberReady = 1
	nodes := []string{"l-control-plane", "l-worker"}
	tests := []struct {
		name  string
		nodes []corev1.Node
		dss   []appsv1.DaemonSet
		dp    topology.Dataplane
		want  []string
	}{
		{"ready", []corev1.Node{readyNode("l-control-plane"), readyNode("l-worker")},
			[]appsv1.DaemonSet{rolledOut("kindnet", 2), rolledOut("kube-proxy", 2)}, topology.DataplaneIPTables, nil},
		{"cilium only for ebpf", []corev1.Node{readyNode("l-control-plane"), readyNode("l-worker")},
			[]appsv1.DaemonSet{rolledOut("cilium", 2)}, topology.DataplaneEBPF, nil},
		{"node not ready, DaemonSets behind", []corev1.Node{readyNode("l-control-plane"), notReady},
			[]appsv1.DaemonSet{partial, stale}, topology.DataplaneNFTables, []string{
				"DaemonSet kube-system/kindnet has 1/2 pods ready",
				"DaemonSet kube-system/kube-proxy has 2/2 pods ready",
				"node l-worker is not Ready (Ready=False: KubeletNotReady container runtime network not ready"}},
		{"missing", []corev1.Node{readyNode("l-control-plane")}, nil, topology.DataplaneEBPF, []string{
			"DaemonSet kube-system/cilium does not exist", "node l-worker is not registered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readiness(nodes, tt.nodes, tt.dss, wantDaemonSets(tt.dp))
			if len(got) != len(tt.want) {
				t.Fatalf("waiting = %q, want %d entries", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("waiting[%d] = %q, want prefix %q", i, got[i], w)
				}
			}
		})
	}
}

// At their deadlines, the other waits say what they were waiting for too.
func TestWaitTimeouts(t *testing.T) {
	dep := &unstructured.Unstructured{Object: map[string]any{"kind": "Deployment",
		"metadata": map[string]any{"namespace": "lblab-system", "name": "controller"}}}
	ds := &unstructured.Unstructured{Object: map[string]any{"kind": "DaemonSet",
		"metadata": map[string]any{"namespace": "lblab-system", "name": "speaker"}}}
	k := &fakeKube{nodes: []string{"a-control-plane", "a-worker"}}
	if err := waitRollout(context.Background(), k, "the controller", []*unstructured.Unstructured{dep, ds}, 2, time.Second, 10*time.Millisecond); err != nil {
		t.Errorf("a rolled-out controller: %v", err)
	}
	err := waitRollout(context.Background(), k, "the controller", []*unstructured.Unstructured{dep, ds}, 3, 50*time.Millisecond, 10*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "the controller did not come up within 50ms") ||
		!strings.Contains(err.Error(), "DaemonSet lblab-system/speaker is scheduled on 2 of 3 nodes") {
		t.Errorf("waitRollout = %v", err)
	}

	d := newFakeDocker()
	d.addKindNode("a", "a-tor", "")
	d.execs["a-tor vtysh"] = execResult{ExitCode: 1, Stderr: []byte("bgpd is not running")}
	b := New(Options{Docker: d}).(*backend)
	err = b.waitVtysh(context.Background(), "a-tor", 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not answer vtysh within 50ms (bgpd is not running)") ||
		!strings.Contains(err.Error(), "log of a-tor") {
		t.Errorf("waitVtysh = %v", err)
	}
	d.execs["a-tor vtysh"] = execResult{}
	if err := b.waitVtysh(context.Background(), "a-tor", time.Second); err != nil {
		t.Errorf("waitVtysh on an answering bgpd: %v", err)
	}
}
