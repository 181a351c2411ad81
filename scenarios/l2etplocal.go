package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	appsv1client "k8s.io/client-go/kubernetes/typed/apps/v1"

	"github.com/lblab/lblab/internal/lab"
)

// ETPL2 is what etp-local saw in an L2 lab, where one node answers ARP/NDP
// for each LB IP instead of the TOR routing it to every eligible node.
type ETPL2 struct {
	// Avoided are the nodes that answered under Cluster. The Deployment's
	// pods are kept off them (rolled out with a node affinity when one was
	// there), so under Local no IP may stay with its owner: it has to move.
	Avoided []string `json:"avoided"`
	// Placed is how long that rollout took (0: no pod had to move).
	Placed time.Duration `json:"placed"`
	// Primed are the client's requests under Cluster: they leave the TOR's
	// neighbour entry for each LB IP holding the old owner's MAC, which the
	// new owner's announcement has to override.
	Primed []Batch      `json:"primed,omitempty"`
	Before []L2Evidence `json:"before"` // under Cluster
	After  []L2Evidence `json:"after"`  // under Local
	// Moved is from the switch to Local to every LB IP answered by one node
	// with a ready endpoint, and the TOR's neighbour entry agreeing.
	Moved time.Duration `json:"moved"`
}

// switchL2 finds the owners under Cluster, moves the Deployment's pods off
// them, switches the Service to Local and waits for new owners, each a
// node with a ready endpoint.
func switchL2(ctx context.Context, env Env, deps appsv1client.DeploymentInterface, name string, si *ServiceInfo, client lab.Node, ev *ETPEvidence) (step string, err error) {
	l2 := &ETPL2{}
	ev.L2 = l2
	owned, _, err := waitL2Owned(ctx, env, si)
	if err != nil {
		return "answer under ETP=Cluster", err
	}
	for _, e := range owned {
		if o := l2Owner(e); o != "" && !slices.Contains(l2.Avoided, o) {
			l2.Avoided = append(l2.Avoided, o)
		}
	}
	if len(l2.Avoided) >= ev.Nodes { // two IPs owned by the only two nodes: keep one for the pods
		l2.Avoided = l2.Avoided[:1]
	}
	if slices.ContainsFunc(si.Endpoints, func(ep EndpointInfo) bool { return slices.Contains(l2.Avoided, ep.Node) }) {
		if l2.Placed, err = avoidNodes(ctx, env, deps, name, si, l2.Avoided, int(ev.Replicas)); err != nil {
			return "move the pods off " + strings.Join(l2.Avoided, ", "), err
		}
	}
	for _, ip := range si.LBIPs {
		if _, ok := client.Addr(ip.Is6()); ok {
			b, _ := Fetch(ctx, client, URL(ip, si.Ports[0].Port), 2, 2) // not judged: it only leaves the TOR's entry
			l2.Primed = append(l2.Primed, b)
		}
	}
	if l2.Before, _, err = waitL2Owned(ctx, env, si); err != nil {
		return "answer under ETP=Cluster", err
	}
	if err := setLocal(ctx, env, *si); err != nil {
		return "switch to Local", err
	}
	l2.After, l2.Moved, err = waitL2Owned(ctx, env, si)
	if len(l2.After) > 0 {
		ev.PodNodes = l2.After[0].Eligible
	}
	if err != nil {
		return "answer under ETP=Local", err
	}
	return "", nil
}

// avoidNodes rolls the Deployment out with a node affinity that keeps its
// pods off nodes, and waits until replicas of them are ready (in every
// family of the Service) and no endpoint is left on those nodes.
func avoidNodes(ctx context.Context, env Env, deps appsv1client.DeploymentInterface, name string, si *ServiceInfo, nodes []string, replicas int) (time.Duration, error) {
	var term corev1.NodeSelectorTerm // requirements are ANDed; a field selector takes one value each
	for _, n := range nodes {
		term.MatchFields = append(term.MatchFields, corev1.NodeSelectorRequirement{Key: "metadata.name", Operator: corev1.NodeSelectorOpNotIn, Values: []string{n}})
	}
	aff := corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{term}}}}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"affinity": aff}}}})
	if err != nil {
		return 0, err
	}
	if _, err := deps.Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return 0, err
	}
	kc, err := env.Kube()
	if err != nil {
		return 0, err
	}
	d, err := waitFor(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		fresh, err := ReadService(ctx, kc, si.Namespace, si.Name)
		if err != nil {
			return false, err
		}
		*si = fresh
		on := slices.ContainsFunc(si.Endpoints, func(ep EndpointInfo) bool { return slices.Contains(nodes, ep.Node) })
		return !on && readyPods(*si) >= replicas*len(si.Families), nil
	})
	if err != nil {
		return d, fmt.Errorf("%d of %d pods ready elsewhere, endpoints on %s: %w", readyPods(*si), replicas, endpointNodes(*si), err)
	}
	return d, nil
}

// endpointNodes lists the nodes of the Service's endpoints, "none" when
// it has none.
func endpointNodes(si ServiceInfo) string {
	var out []string
	for _, ep := range si.Endpoints {
		if !slices.Contains(out, ep.Node) {
			out = append(out, ep.Node)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// JudgeL2ETPLocal passes when the steps completed, the pods were kept off
// the owners under Cluster, every LB IP is answered under Local by one node
// with a ready endpoint (whom the TOR's neighbour entry names too), at
// least one owner moved, and nginx logged the client's own address.
func JudgeL2ETPLocal(ev ETPEvidence) Outcome {
	if ev.Step != "" {
		return fail(ev, "step %q: %s", ev.Step, ev.Err)
	}
	if ev.Nodes == 0 {
		return fail(ev, "no eligible node (every node excluded from external load balancers or NetworkUnavailable): no owner to judge")
	}
	if int(ev.Replicas) >= ev.Nodes {
		return skip("etp-local needs more eligible nodes than pods: %d pods on %d nodes leave no node without a pod for the owner to move away from", ev.Replicas, ev.Nodes)
	}
	l2 := ev.L2
	if l2 == nil || len(l2.After) == 0 {
		return fail(ev, "no LB IP observed under ETP=Local")
	}
	if len(l2.Avoided) == 0 {
		return fail(ev, "no node owned an LB IP under ETP=Cluster, so no pod was kept off one: nothing had to move")
	}
	if both := slices.DeleteFunc(slices.Clone(l2.Avoided), func(n string) bool { return !slices.Contains(ev.PodNodes, n) }); len(both) > 0 {
		return fail(ev, "%s owned an LB IP under ETP=Cluster and still has a ready pod: nothing had to move", strings.Join(both, ", "))
	}
	var parts []string
	moved := false
	for _, a := range l2.After {
		owner := l2Owner(a)
		switch {
		case a.Problem != "":
			return fail(ev, "under ETP=Local: %s: %s", a.Service, a.Problem)
		case len(a.Eligible) == 0:
			return fail(ev, "%s has no owner to expect under ETP=Local: no node holds a ready endpoint", a.IP)
		case owner != "" && owner != "?" && (!slices.Contains(a.Eligible, owner) || !slices.Contains(ev.PodNodes, owner)):
			return fail(ev, "%s is answered under ETP=Local by %s, which has no ready endpoint (pods on %s)",
				a.IP, owner, strings.Join(a.Eligible, ", "))
		case l2Problem(a) != "":
			return fail(ev, "under ETP=Local: %s", l2Problem(a))
		}
		b, ok := l2For(l2.Before, a.IP)
		if !ok || l2Owner(b) == "" {
			return fail(ev, "%s had no single owner under ETP=Cluster to move from", a.IP)
		}
		if l2Owner(b) == owner {
			parts = append(parts, fmt.Sprintf("%s stays on %s (it has a pod)", a.IP, owner))
			continue
		}
		moved = true
		parts = append(parts, fmt.Sprintf("%s %s→%s", a.IP, l2Owner(b), owner))
	}
	if !moved {
		return fail(ev, "no LB IP changed its owner under ETP=Local (%s), though the pods were kept off %s",
			strings.Join(parts, ", "), strings.Join(l2.Avoided, ", "))
	}
	if p := clientProblem(ev); p != "" {
		return fail(ev, "%s", p)
	}
	return pass(ev, "%s: owner moved %s after the switch to Local (pods only on %s); nginx logged the client's own %s",
		strings.Join(parts, ", "), ms(l2.Moved), strings.Join(ev.PodNodes, ", "), joinAddrs(ev.ClientIPs))
}
