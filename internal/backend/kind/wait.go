package kind

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/lblab/lblab/internal/topology"
)

// wantDaemonSets are the kube-system DaemonSets that make a node's network
// work: kind's CNI (kindnet) and kube-proxy, or Cilium alone for ebpf.
func wantDaemonSets(dp topology.Dataplane) []string {
	if dp == topology.DataplaneEBPF {
		return []string{"cilium"}
	}
	return []string{"kindnet", "kube-proxy"}
}

// readiness says what is not ready yet: nodes that are missing or not
// Ready, and DaemonSets not rolled out on every node. Empty means ready.
func readiness(wantNodes []string, nodes []corev1.Node, dss []appsv1.DaemonSet, wantDS []string) []string {
	var waiting []string
	byName := map[string]corev1.Node{}
	for _, n := range nodes {
		byName[n.Name] = n
	}
	for _, name := range wantNodes {
		n, ok := byName[name]
		if !ok {
			waiting = append(waiting, fmt.Sprintf("node %s is not registered", name))
			continue
		}
		if c := nodeReady(n); c == nil || c.Status != corev1.ConditionTrue {
			why := "no Ready condition yet"
			if c != nil {
				why = fmt.Sprintf("Ready=%s: %s %s", c.Status, c.Reason, c.Message)
			}
			waiting = append(waiting, fmt.Sprintf("node %s is not Ready (%s)", name, strings.TrimSpace(why)))
		}
	}
	dsByName := map[string]appsv1.DaemonSet{}
	for _, d := range dss {
		dsByName[d.Name] = d
	}
	for _, name := range wantDS {
		d, ok := dsByName[name]
		if !ok {
			waiting = append(waiting, fmt.Sprintf("DaemonSet kube-system/%s does not exist", name))
			continue
		}
		s := d.Status
		if s.ObservedGeneration < d.Generation || int(s.DesiredNumberScheduled) < len(wantNodes) ||
			s.NumberReady < s.DesiredNumberScheduled || s.UpdatedNumberScheduled < s.DesiredNumberScheduled {
			waiting = append(waiting, fmt.Sprintf("DaemonSet kube-system/%s has %d/%d pods ready (%d updated, %d nodes)",
				name, s.NumberReady, s.DesiredNumberScheduled, s.UpdatedNumberScheduled, len(wantNodes)))
		}
	}
	sort.Strings(waiting)
	return waiting
}

func nodeReady(n corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// waitReady polls until every node is Ready and the data plane's
// DaemonSets run everywhere; at the deadline it says what was missing.
func waitReady(ctx context.Context, kc kubeClient, wantNodes []string, dp topology.Dataplane, timeout, every time.Duration) error {
	want := wantDaemonSets(dp)
	waiting := []string{"the API server did not answer"}
	err := wait.PollUntilContextTimeout(ctx, every, timeout, true, func(ctx context.Context) (bool, error) {
		nodes, err1 := kc.Nodes(ctx)
		dss, err2 := kc.DaemonSets(ctx, "kube-system")
		if err1 != nil || err2 != nil {
			return false, nil // the API server may not answer yet
		}
		waiting = readiness(wantNodes, nodes, dss, want)
		return len(waiting) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("the cluster was not ready after %s:\n    %s", timeout, strings.Join(waiting, "\n    "))
	}
	return nil
}
