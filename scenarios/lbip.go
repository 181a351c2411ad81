package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/lblab/lblab/internal/controllers/metallb"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

// AllocationEvidence is one Service's LB addresses.
type AllocationEvidence struct {
	Service  string       `json:"service"`
	Families []string     `json:"families"`
	IPs      []netip.Addr `json:"ips"`
	Pool     string       `json:"pool,omitempty"` // the pool the topology asks for; "" = any
}

func checkLBIPAllocated() Check {
	return Check{Description: "every LoadBalancer Service in the topology has an IP from its pool, in each family it asked for",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			want := map[string]string{} // service key → pool
			for _, w := range env.Topology().Workloads {
				if w.Service != nil && w.Service.Type == "LoadBalancer" {
					want[w.Namespace+"/"+w.Name] = w.Service.Pool
				}
			}
			if len(want) == 0 {
				return skip("the topology defines no LoadBalancer Service")
			}
			ps := pools(env)
			return poll(ctx, attempt, func(ctx context.Context) Outcome {
				c, err := env.Cluster(ctx)
				if err != nil {
					return errOutcome(err)
				}
				return JudgeAllocation(c, want, ps)
			})
		}}
}

// unservedFamilies maps the address families the lab's controller does
// not serve to why: MetalLB's native BGP mode has no IPv6.
func unservedFamilies(t *topology.Topology) map[string]string {
	if t.Controller.Type == topology.ControllerMetalLB && t.Controller.Mode == topology.ModeBGP && !metallb.NativeSupport.IPv6 && t.Network.IPFamily.HasV6() {
		return map[string]string{familyName(true): metallb.NativeSupport.Reason}
	}
	return nil
}

// JudgeAllocation passes when each wanted Service has exactly one LB IP
// per requested family and none of another, inside its pool (or any pool
// when none is named). A family in c.Unserved (the controller cannot
// serve it) is not asked for; the summary says so, with the reason.
func JudgeAllocation(c *Cluster, want map[string]string, ps map[string][]netaddr.Range) Outcome {
	var ev []AllocationEvidence
	var problems []string
	for _, s := range c.Services {
		pool, ok := want[s.Key()]
		if !ok {
			continue
		}
		ev = append(ev, AllocationEvidence{Service: s.Key(), Families: s.Families, IPs: s.LBIPs, Pool: pool})
		if len(s.LBIPs) == 0 {
			problems = append(problems, s.Key()+" has no external IP")
			continue
		}
		problems = append(problems, familyProblems(s, c.Unserved)...)
		for _, ip := range s.LBIPs {
			switch {
			case pool != "" && !InPools(map[string][]netaddr.Range{pool: ps[pool]}, ip):
				problems = append(problems, fmt.Sprintf("%s has %s, outside its pool %q", s.Key(), ip, pool))
			case pool == "" && !InPools(ps, ip):
				problems = append(problems, fmt.Sprintf("%s has %s, outside every pool", s.Key(), ip))
			}
		}
	}
	if len(ev) < len(want) {
		problems = append(problems, fmt.Sprintf("found %d of the topology's %d LoadBalancer Services", len(ev), len(want)))
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	var parts []string
	for _, e := range ev {
		parts = append(parts, e.Service+" "+joinAddrs(e.IPs))
	}
	parts = append(parts, unservedNotes(c.Unserved)...)
	return pass(ev, "%s", strings.Join(parts, "; "))
}

// familyProblems checks a Service's LB IPs against spec.ipFamilies: one of
// each family it asked for, none of another (when it says which it asked
// for).
func familyProblems(s ServiceInfo, unserved map[string]string) []string {
	var out []string
	for _, v6 := range []bool{false, true} {
		fam := familyName(v6)
		var of []netip.Addr
		for _, ip := range s.LBIPs {
			if ip.Is6() == v6 {
				of = append(of, ip)
			}
		}
		asked := slices.Contains(s.Families, fam)
		if _, no := unserved[fam]; no && len(of) == 0 {
			continue
		}
		switch {
		case asked && len(of) == 0:
			out = append(out, fmt.Sprintf("%s has no %s external IP (has %s)", s.Key(), fam, joinAddrs(s.LBIPs)))
		case !asked && len(of) > 0 && len(s.Families) > 0:
			out = append(out, fmt.Sprintf("%s has %s external IP %s but asked for %s only", s.Key(), fam, joinAddrs(of), strings.Join(s.Families, ", ")))
		case len(of) > 1:
			out = append(out, fmt.Sprintf("%s has %d %s external IPs (%s), want one", s.Key(), len(of), fam, joinAddrs(of)))
		}
	}
	return out
}
