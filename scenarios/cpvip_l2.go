package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// vipL2 reports whether the lab's API server VIP is answered by ARP/NDP
// on the nodes' segment (controller.mode l2) instead of routed by BGP.
func vipL2(env Env) bool { return env.Topology().Controller.Mode == topology.ModeL2 }

// UnknownMAC starts VIPAnswers' name for a MAC of no control-plane node.
const UnknownMAC = "unknown MAC "

// VIPAnswers asks the segment from the TOR who answers ARP/NDP for each
// VIP, and names each answer by the control-plane node whose own address
// answers with the same MAC (UnknownMAC and the MAC for any other).
func VIPAnswers(ctx context.Context, env Env, vips []netip.Addr) (map[netip.Addr][]string, error) {
	t, ok := tor(env)
	if !ok {
		return nil, fmt.Errorf("the lab has no TOR")
	}
	nodes := map[string][]netip.Addr{}
	for _, h := range hostsByRole(env, lab.RoleControlPlane) {
		nodes[h.Name] = h.Addrs
	}
	answers, macNode, err := askSegment(ctx, env, t, "cp-vip", vips, nodes)
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr][]string{}
	for _, v := range vips {
		out[v] = []string{}
		for _, m := range answers[v.String()] {
			name, ok := macNode[m]
			if !ok {
				name = UnknownMAC + m
			}
			out[v] = append(out[v], name)
		}
	}
	return out, nil
}

// judgeVIPAnswers is cp-vip's judgement of one VIP in L2 mode: exactly
// one control-plane node with a ready kube-apiserver answers for it.
func judgeVIPAnswers(v netip.Addr, answered []string, ready map[string]string) string {
	switch {
	case len(answered) == 0:
		return fmt.Sprintf("nobody answers ARP/NDP for %s on the segment", v)
	case len(answered) > 1:
		return fmt.Sprintf("%d nodes answer ARP/NDP for %s: %v, want exactly one", len(answered), v, answered)
	}
	why, ok := ready[answered[0]]
	switch {
	case !ok:
		return fmt.Sprintf("%s is answered by %s, not a control-plane node", v, answered[0])
	case why != "":
		return fmt.Sprintf("%s is answered by %s, whose kube-apiserver is not ready (%s)", v, answered[0], why)
	}
	return ""
}

// waitVIPOwner waits until every VIP is answered by node h alone
// (present) or by exactly one other node, and returns how long that took.
func waitVIPOwner(ctx context.Context, env Env, h lab.Node, vips []netip.Addr, present bool) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, cpRouteTimeout)
	defer cancel()
	var last map[netip.Addr][]string
	var readErr error
	d, err := waitFor(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		answers, err := VIPAnswers(ctx, env, vips)
		if readErr = err; err != nil {
			return false, nil
		}
		last = answers
		for _, v := range vips {
			a := answers[v]
			if len(a) != 1 || (a[0] == h.Name) != present {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		want := map[bool]string{true: h.Name + " alone", false: "exactly one node other than " + h.Name}[present]
		if readErr != nil {
			err = fmt.Errorf("%w (the last probe failed: %v)", err, readErr)
		}
		return 0, fmt.Errorf("the VIPs are answered by %v, want %s: %w", last, want, err)
	}
	return d, nil
}

// vipOwner is the control-plane node that answers for every VIP now.
func vipOwner(ctx context.Context, env Env, vips []netip.Addr) (lab.Node, error) {
	answers, err := VIPAnswers(ctx, env, vips)
	if err != nil {
		return lab.Node{}, err
	}
	var owner string
	for _, v := range vips {
		if a := answers[v]; len(a) != 1 || owner != "" && a[0] != owner {
			return lab.Node{}, fmt.Errorf("the VIPs are answered by %v, want one control-plane node for all", answers)
		}
		owner = answers[v][0]
	}
	h, ok := host(env, owner)
	if !ok || h.Role != lab.RoleControlPlane {
		return lab.Node{}, fmt.Errorf("the VIPs are answered by %s, not a control-plane node", owner)
	}
	return h, nil
}
