package scenarios

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// L2Evidence is what l2-owner saw for one LB IP: who answered the TOR's
// ARP request or Neighbor Solicitation, and the TOR's neighbour entry.
type L2Evidence struct {
	Service  string     `json:"service"`
	IP       netip.Addr `json:"ip"`
	Eligible []string   `json:"eligible"`
	MACs     []string   `json:"macs"`   // every MAC that answered
	Owners   []string   `json:"owners"` // their nodes, "?" for a MAC no node has
	// Neighbor is the TOR's entry for the IP: "MAC STATE", "" for none.
	Neighbor string `json:"neighbor,omitempty"`
	Problem  string `json:"problem,omitempty"`
}

func checkL2Owner() Check {
	return Check{Description: "in L2 mode, the TOR's ARP/NDP request for every LB IP is answered by exactly one MAC, an eligible node's, and the TOR's neighbour entry agrees",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			if out, ok := l2Only(env); !ok {
				return out
			}
			return poll(ctx, attempt, func(ctx context.Context) Outcome {
				ev, err := observeL2(ctx, env)
				if err != nil {
					return errOutcome(err)
				}
				return JudgeL2Owner(ev)
			})
		}}
}

// l2Only skips a check of L2 mode in a BGP lab.
func l2Only(env Env) (Outcome, bool) {
	if m := env.Topology().Controller.Mode; m != topology.ModeL2 {
		return skip("the lab announces by BGP (controller.mode %s): ecmp-rib and ecmp-fib judge it", m), false
	}
	return Outcome{}, true
}

// bgpOnly skips a check of BGP mode in an L2 lab.
func bgpOnly(env Env) (Outcome, bool) {
	if env.Topology().Controller.Mode == topology.ModeL2 {
		return skip("the lab announces by ARP and NDP (controller.mode l2): no BGP session or route to judge; l2-owner judges the announcements"), false
	}
	return Outcome{}, true
}

// l2ProbeWait is how long the TOR collects answers to one request.
const l2ProbeWait = "300ms"

// observeL2 asks, from the TOR, who answers for every LB IP and for every
// node address (to name the MACs), and reads the TOR's neighbour table.
func observeL2(ctx context.Context, env Env) ([]L2Evidence, error) {
	c, err := env.Cluster(ctx)
	if err != nil {
		return nil, err
	}
	return observeL2Of(ctx, env, c)
}

// observeL2Of observes the LB IPs of c's Services.
func observeL2Of(ctx context.Context, env Env, c *Cluster) ([]L2Evidence, error) {
	t, ok := tor(env)
	if !ok {
		return nil, fmt.Errorf("the lab has no TOR")
	}
	exp := Expectations(c)
	var ips []netip.Addr
	for _, e := range exp {
		if e.IP.IsValid() {
			ips = append(ips, e.IP)
		}
	}
	nodes := map[string][]netip.Addr{}
	for _, n := range c.Nodes {
		nodes[n.Name] = n.Addrs
	}
	answers, macNode, err := askSegment(ctx, env, t, "l2-owner", ips, nodes)
	if err != nil {
		return nil, err
	}
	neigh, err := torNeighbours(ctx, t)
	if err != nil {
		return nil, err
	}
	var out []L2Evidence
	for _, e := range exp {
		ev := L2Evidence{Service: e.Service, IP: e.IP, Eligible: e.Eligible, Problem: e.Problem}
		if e.IP.IsValid() {
			ev.MACs = answers[e.IP.String()]
			for _, m := range ev.MACs {
				ev.Owners = append(ev.Owners, cmp.Or(macNode[m], "?"))
			}
			ev.Neighbor = neigh[e.IP]
		}
		out = append(out, ev)
	}
	return out, nil
}

// askSegment asks the segment from the TOR, with `lblab probe l2`, who
// answers ARP/NDP for ips and for the nodes' own addresses (by node name).
// It returns the MACs that answered each address, by its text, and the
// node of each MAC that answered for a node's address. check names the
// caller when the backend has no lblab binary on the TOR.
func askSegment(ctx context.Context, env Env, t lab.Node, check string, ips []netip.Addr, nodes map[string][]netip.Addr) (answers map[string][]string, macNode map[string]string, err error) {
	if env.Probe() == "" {
		return nil, nil, fmt.Errorf("%s asks the segment from the TOR with `lblab probe l2`, and this backend has no lblab binary there", check)
	}
	args := []string{"probe", "l2", "--wait", l2ProbeWait}
	for _, ip := range ips {
		args = append(args, ip.String())
	}
	nodeOf := map[string]string{} // node address → name
	for _, name := range slices.Sorted(maps.Keys(nodes)) {
		for _, a := range nodes[name] {
			nodeOf[a.String()] = name
			args = append(args, a.String())
		}
	}
	if answers, err = probeL2(ctx, t, env.Probe(), args); err != nil {
		return nil, nil, err
	}
	macNode = map[string]string{}
	for addr, name := range nodeOf {
		for _, m := range answers[addr] {
			macNode[m] = name
		}
	}
	return answers, macNode, nil
}

func probeL2(ctx context.Context, t lab.Node, probe string, args []string) (map[string][]string, error) {
	raw, err := t.Command(ctx, probe, args...)
	if err != nil {
		return nil, fmt.Errorf("failed to ask the segment from the TOR: %w", err)
	}
	var answers map[string][]string
	if err := json.Unmarshal(raw, &answers); err != nil {
		return nil, fmt.Errorf("`lblab probe l2` on the TOR printed no JSON: %w", err)
	}
	return answers, nil
}

// torNeighbours reads the TOR's neighbour entries that carry a MAC, as
// "MAC STATE" by address.
func torNeighbours(ctx context.Context, t lab.Node) (map[netip.Addr]string, error) {
	raw, err := t.Command(ctx, "ip", "-j", "neigh", "show")
	if err != nil {
		return nil, fmt.Errorf("failed to read the TOR's neighbour table: %w", err)
	}
	return ParseNeighbors(raw)
}

// ParseNeighbors reads `ip -j neigh show`.
func ParseNeighbors(raw []byte) (map[netip.Addr]string, error) {
	var list []struct {
		Dst    string   `json:"dst"`
		LLAddr string   `json:"lladdr"`
		State  []string `json:"state"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("failed to parse `ip -j neigh show`: %w", err)
	}
	out := map[netip.Addr]string{}
	for _, n := range list {
		a, err := netip.ParseAddr(n.Dst)
		if err != nil || n.LLAddr == "" {
			continue
		}
		out[a.Unmap()] = strings.TrimSpace(n.LLAddr + " " + strings.Join(n.State, ","))
	}
	return out, nil
}

// JudgeL2Owner passes when every LB IP with an eligible node is answered
// by exactly one MAC, an eligible node's, which the TOR's neighbour entry
// (if it has one) agrees with; and an IP without one by nobody.
func JudgeL2Owner(ev []L2Evidence) Outcome {
	if len(ev) == 0 {
		return fail(ev, "no LoadBalancer IP to judge: the topology's Services hold none")
	}
	var problems, summary []string
	for _, e := range ev {
		if p := l2Problem(e); p != "" {
			problems = append(problems, p)
			continue
		}
		if len(e.Eligible) > 0 {
			summary = append(summary, fmt.Sprintf("%s → %s", e.IP, e.Owners[0]))
		}
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	return pass(ev, "%s", strings.Join(summary, ", "))
}

func l2Problem(e L2Evidence) string {
	switch {
	case e.Problem != "":
		return e.Service + ": " + e.Problem
	case len(e.Eligible) == 0 && len(e.MACs) > 0:
		return fmt.Sprintf("%s (%s) has no eligible node, yet %s answered for it", e.IP, e.Service, strings.Join(e.Owners, ", "))
	case len(e.Eligible) == 0:
		return ""
	case len(e.MACs) == 0:
		return fmt.Sprintf("nobody answers for %s (%s); eligible: %s", e.IP, e.Service, strings.Join(e.Eligible, ", "))
	case len(e.MACs) > 1:
		return fmt.Sprintf("%s (%s) is answered by %d MACs (%s: %s); exactly one node must own it", e.IP, e.Service, len(e.MACs),
			strings.Join(e.MACs, ", "), strings.Join(e.Owners, ", "))
	case !slices.Contains(e.Eligible, e.Owners[0]):
		return fmt.Sprintf("%s (%s) is answered by %s (%s), not an eligible node (%s)", e.IP, e.Service, e.MACs[0], e.Owners[0],
			strings.Join(e.Eligible, ", "))
	}
	if mac, state, _ := strings.Cut(e.Neighbor, " "); mac != "" && mac != e.MACs[0] && !strings.Contains(state, "FAILED") {
		return fmt.Sprintf("the TOR's neighbour entry for %s is %s (%s), but %s (%s) answers", e.IP, mac, state, e.MACs[0], e.Owners[0])
	}
	return ""
}

// waitOwned waits until exactly one eligible node answers for each of the
// Service's LB IPs (l2-owner's rules), for the mutating checks in L2 mode.
func waitOwned(ctx context.Context, env Env, si *ServiceInfo) (time.Duration, error) {
	_, d, err := waitL2Owned(ctx, env, si)
	return d, err
}

// waitL2Owned is waitOwned that also returns the last observation (the
// one that passed, or on failure the last one made).
func waitL2Owned(ctx context.Context, env Env, si *ServiceInfo) ([]L2Evidence, time.Duration, error) {
	var last Outcome
	var seen []L2Evidence
	d, err := waitFor(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		full, err := env.Cluster(ctx)
		if err != nil {
			return false, err
		}
		kc, _ := env.Kube()
		fresh, err := ReadService(ctx, kc, si.Namespace, si.Name)
		if err != nil {
			return false, err
		}
		*si = fresh
		c := *full
		c.Services = []ServiceInfo{fresh}
		if len(EligibleNodes(&c, fresh)) == 0 {
			return false, nil // no ready endpoint yet: nobody answers, wait for one
		}
		ev, err := observeL2Of(ctx, env, &c)
		if err != nil {
			return false, err
		}
		seen, last = ev, JudgeL2Owner(ev)
		return last.Status == Passed, nil
	})
	if err != nil && last.Summary != "" {
		return seen, d, fmt.Errorf("%s: %w", last.Summary, err)
	}
	return seen, d, err
}

// observeL2Service observes who answers for si's LB IPs now, judged
// against the cluster as it is (si may be deleted already).
func observeL2Service(ctx context.Context, env Env, si ServiceInfo) ([]L2Evidence, error) {
	full, err := env.Cluster(ctx)
	if err != nil {
		return nil, err
	}
	c := *full
	c.Services = []ServiceInfo{si}
	return observeL2Of(ctx, env, &c)
}

// l2Owner returns the node that answered for e's IP, "" when none or
// several did.
func l2Owner(e L2Evidence) string {
	if len(e.Owners) != 1 {
		return ""
	}
	return e.Owners[0]
}
