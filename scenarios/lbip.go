package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/lblab/lblab/internal/netaddr"
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

// JudgeAllocation passes when each wanted Service has one LB IP per
// requested family, inside its pool (or any pool when none is named).
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
		for _, fam := range s.Families {
			if !hasFamily(s.LBIPs, fam == "IPv6") {
				problems = append(problems, fmt.Sprintf("%s has no %s external IP (has %s)", s.Key(), fam, joinAddrs(s.LBIPs)))
			}
		}
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
	return pass(ev, "%s", strings.Join(parts, "; "))
}
