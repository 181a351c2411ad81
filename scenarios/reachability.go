package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/lblab/lblab/internal/lab"
)

// Target is one LB IP:port of a Service and the sources allowed to reach it.
type Target struct {
	Service string
	IP      netip.Addr
	Port    uint16
	Sources []lab.Node
	// Skipped are sources outside the Service's loadBalancerSourceRanges.
	Skipped []string
}

func checkReachability() Check {
	return Check{Description: "N requests from the TOR and the client host to each LB IP:port all return the nginx welcome page",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			n := opts(ctx).Requests
			sources := hostsByRole(env, lab.RoleTOR, lab.RoleClient)
			return poll(ctx, attempt, func(ctx context.Context) Outcome {
				c, err := env.Cluster(ctx)
				if err != nil {
					return errOutcome(err)
				}
				targets := Targets(c, sources)
				if len(targets) == 0 {
					return fail(nil, "no LoadBalancer Service of the topology has an external IP yet")
				}
				unreached := append(ipProblems(c), Unreached(targets)...)
				var mu sync.Mutex
				var wg sync.WaitGroup
				var batches []Batch
				var errs []string
				for _, t := range targets {
					for _, src := range t.Sources {
						wg.Add(1)
						go func() {
							defer wg.Done()
							b, err := Fetch(ctx, src, URL(t.IP, t.Port), n, 3)
							mu.Lock()
							defer mu.Unlock()
							if err != nil {
								errs = append(errs, err.Error())
							}
							batches = append(batches, b)
						}()
					}
				}
				wg.Wait()
				if len(errs) > 0 {
					return fail(batches, "%s", strings.Join(append(unreached, errs...), "; "))
				}
				return JudgeReachability(batches, unreached...)
			})
		}}
}

// Targets lists every TCP LB IP:port of the cluster's Services with the
// sources that may reach it (all, or those inside loadBalancerSourceRanges).
func Targets(c *Cluster, sources []lab.Node) []Target {
	var out []Target
	for _, s := range c.Services {
		for _, ip := range s.LBIPs {
			for _, p := range s.Ports {
				if p.Protocol != "tcp" {
					continue
				}
				t := Target{Service: s.Key(), IP: ip, Port: p.Port}
				for _, src := range sources {
					a, ok := src.Addr(ip.Is6())
					if !ok {
						continue
					}
					if allowed(s.SourceRanges, a) {
						t.Sources = append(t.Sources, src)
					} else {
						t.Skipped = append(t.Skipped, src.Name)
					}
				}
				out = append(out, t)
			}
		}
	}
	return out
}

func allowed(ranges []netip.Prefix, a netip.Addr) bool {
	if len(ranges) == 0 {
		return true
	}
	for _, r := range ranges {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// Unreached names the targets no source host may send to (none has an
// address of the LB IP's family, or none is inside the Service's
// loadBalancerSourceRanges): reachability cannot show them reachable.
func Unreached(targets []Target) []string {
	var out []string
	for _, t := range targets {
		if len(t.Sources) > 0 {
			continue
		}
		why := "no source host has an " + familyName(t.IP.Is6()) + " address"
		if len(t.Skipped) > 0 {
			why = "every source host (" + strings.Join(t.Skipped, ", ") + ") is outside its loadBalancerSourceRanges"
		}
		out = append(out, fmt.Sprintf("%s (%s) is not tested: %s", URL(t.IP, t.Port), t.Service, why))
	}
	return out
}

// JudgeReachability passes when every request of every batch succeeded
// and nothing kept a target from being tested (unreached).
func JudgeReachability(batches []Batch, unreached ...string) Outcome {
	problems := slices.Clone(unreached)
	var parts []string
	for _, b := range batches {
		line := fmt.Sprintf("%s→%s %d/%d", b.Source, strings.TrimSuffix(strings.TrimPrefix(b.URL, "http://"), "/"), b.OK, b.Sent)
		if len(b.Nodes) > 0 {
			line += " nodes " + Spread(b.Nodes)
		}
		parts = append(parts, line)
		if b.Sent == 0 || b.OK != b.Sent {
			problems = append(problems, fmt.Sprintf("%s→%s: %d of %d requests failed (%s)", b.Source, b.URL, b.Sent-b.OK, b.Sent, Spread(b.Failures)))
		}
	}
	if len(batches) == 0 {
		return fail(nil, "%s", strings.Join(append(problems, "no requests were sent (no source host can reach any LB IP)"), "; "))
	}
	if len(problems) > 0 {
		return fail(batches, "%s", strings.Join(problems, "; "))
	}
	return pass(batches, "%s", strings.Join(parts, "; "))
}
