package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/lblab/lblab/internal/dataplane"
	"github.com/lblab/lblab/internal/lab"
)

// RuleEvidence is one node's data plane for one LB IP:port.
type RuleEvidence struct {
	Node     string              `json:"node"`
	Service  string              `json:"service"`
	Target   string              `json:"target"` // ip:port/proto
	Want     []netip.AddrPort    `json:"want"`
	Frontend *dataplane.Frontend `json:"frontend,omitempty"`
	Problem  string              `json:"problem,omitempty"`
}

// Observation is one node's answer for one target: the frontend, or the
// error reading it.
type Observation struct {
	Frontend dataplane.Frontend
	Err      error
}

func checkDataplaneRules() Check {
	return Check{Description: "on every node that runs a data plane, it leads each LB IP:port to every endpoint and lets in exactly the Service's loadBalancerSourceRanges (KUBE-SERVICES → KUBE-FW → KUBE-EXT → KUBE-SVC → KUBE-SEP; service-ips, firewall-ips → chains; IPVS + LB, FW and source ipsets; Cilium frontends and source-range map)",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			mode := env.Topology().Dataplane
			nodes := dataplaneNodes(hostsByRole(env, lab.RoleControlPlane, lab.RoleWorker))
			return poll(ctx, attempt, func(ctx context.Context) Outcome {
				c, err := env.Cluster(ctx)
				if err != nil {
					return errOutcome(err)
				}
				obs := map[string]map[string]Observation{}
				var mu sync.Mutex
				var wg sync.WaitGroup
				for _, n := range nodes {
					wg.Add(1)
					go func() {
						defer wg.Done()
						o := observeNode(ctx, env, c, n)
						mu.Lock()
						obs[n.Name] = o
						mu.Unlock()
					}()
				}
				wg.Wait()
				return JudgeRules(c, names(nodes), obs, string(mode))
			})
		}}
}

// dataplaneNodes are the Kubernetes nodes that run a data plane: all but
// a node its backend marks NoDataplane.
func dataplaneNodes(k8sNodes []lab.Node) []lab.Node {
	var out []lab.Node
	for _, n := range k8sNodes {
		if !n.NoDataplane {
			out = append(out, n)
		}
	}
	return out
}

func names(ns []lab.Node) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return out
}

func targetKey(ip netip.Addr, p PortInfo) string { return p.Target(ip) }

func observeNode(ctx context.Context, env Env, c *Cluster, n lab.Node) map[string]Observation {
	out := map[string]Observation{}
	var v4, v6 bool
	for _, s := range c.Services {
		v4, v6 = v4 || hasFamily(s.LBIPs, false), v6 || hasFamily(s.LBIPs, true)
	}
	plane, err := ReadPlane(ctx, env, env.Topology().Dataplane, n, v4, v6)
	for _, s := range c.Services {
		for _, ip := range s.LBIPs {
			for _, p := range s.Ports {
				k := targetKey(ip, p)
				if err != nil {
					out[k] = Observation{Err: err}
					continue
				}
				f, ferr := plane(ip, p.Protocol, p.Port)
				out[k] = Observation{Frontend: f, Err: ferr}
			}
		}
	}
	return out
}

// JudgeRules passes when, on every node, every LB IP:port of every Service
// leads to exactly the expected endpoints (all ready ones, or the node's own
// for ETP=Local, where a node without one must drop the traffic), with the
// Service's source ranges.
func JudgeRules(c *Cluster, nodes []string, obs map[string]map[string]Observation, mode string) Outcome {
	if len(nodes) == 0 {
		return fail(nil, "the lab has no Kubernetes node to read the data plane of")
	}
	var ev []RuleEvidence
	problems := ipProblems(c)
	targets := 0
	for _, s := range c.Services {
		for _, ip := range s.LBIPs {
			for _, p := range s.Ports {
				targets++
				k := targetKey(ip, p)
				for _, node := range nodes {
					re := RuleEvidence{Node: node, Service: s.Key(), Target: k, Want: ExpectedBackends(s, p, ip, node)}
					o, ok := obs[node][k]
					switch {
					case !ok:
						re.Problem = "not observed"
					case o.Err != nil && !(len(re.Want) == 0 && o.Frontend.Drop):
						re.Problem = o.Err.Error()
					default:
						f := o.Frontend
						re.Frontend = &f
						re.Problem = backendProblem(re.Want, f, s.SourceRanges)
					}
					if re.Problem != "" {
						problems = append(problems, fmt.Sprintf("%s: %s (%s): %s", node, k, s.Key(), re.Problem))
					}
					ev = append(ev, re)
				}
			}
		}
	}
	if targets == 0 {
		return fail(nil, "no LoadBalancer Service of the topology has an external IP yet")
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	return pass(ev, "%s: %d LB IP:ports on %d nodes lead to their endpoints", mode, targets, len(nodes))
}

// backendProblem compares a frontend with the expected endpoints and the
// Service's source ranges (every data plane shows the sources it lets in:
// iptables KUBE-FW chains, nftables firewall-ips, ipvs's source ipsets,
// Cilium's source-range maps).
func backendProblem(want []netip.AddrPort, f dataplane.Frontend, ranges []netip.Prefix) string {
	if len(want) == 0 {
		if f.Drop || len(f.Backends) == 0 {
			return ""
		}
		return fmt.Sprintf("no local endpoint, but traffic goes to %s instead of being dropped", joinAddrs(f.Backends))
	}
	missing, extra := addrDiff(want, f.Backends)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing endpoint "+joinAddrs(missing))
	}
	if len(extra) > 0 {
		parts = append(parts, "extra endpoint "+joinAddrs(extra))
	}
	if f.Drop {
		parts = append(parts, "traffic from outside is dropped")
	}
	// A rule set holds one family's ranges (kube-proxy splits a Service's
	// ranges by family; a family without any lets every source in): compare
	// within the family.
	wantR, gotR := sourcesOf(ranges, f.Address), sourcesOf(f.SourceRanges, f.Address)
	if !slices.Equal(wantR, gotR) {
		parts = append(parts, fmt.Sprintf("source ranges %v, want %v", gotR, wantR))
	}
	return strings.Join(parts, "; ")
}

// sourcesOf returns the ranges of a's family, sorted; none when one of
// them is the zero prefix (0.0.0.0/0 or ::/0 lets every source in, as no
// range does, and kube-proxy treats it so).
func sourcesOf(ps []netip.Prefix, a netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		if p.Addr().Is4() != a.Is4() {
			continue
		}
		if p.Bits() == 0 {
			return nil
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(out)
}
