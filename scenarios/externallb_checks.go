package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/iproute"
)

// externalClass returns the class of the lab's external load balancer,
// or "" and why not.
func externalClass(env Env) (string, string) {
	x := env.Topology().ExternalLB
	if x == nil {
		return "", "the lab has no external load balancer (externalLB is unset); the external-lb topology has one"
	}
	return x.LoadBalancerClass, ""
}

func checkExternalLBBackends() Check {
	return Check{Description: "the lb host holds every LB IP of its class and forwards each IP:port to exactly the eligible NodeIP:NodePort pairs, the healthy ones UP in HAProxy",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			class, why := externalClass(env)
			if class == "" {
				return skip("%s", why)
			}
			return poll(ctx, attempt, func(ctx context.Context) Outcome {
				c, err := env.Cluster(ctx)
				if err != nil {
					return errOutcome(err)
				}
				st, err := readLB(ctx, env)
				if err != nil {
					return errOutcome(err)
				}
				return JudgeLBBackends(c, class, st)
			})
		}}
}

// NodePortEvidence is what nodeport-only read on the TOR for each LB IP:
// the routes that cover it.
type NodePortEvidence struct {
	Segments []netip.Prefix                 `json:"segments"`
	Routes   map[netip.Addr][]iproute.Route `json:"routes"`
	BGP      map[netip.Addr][]netip.Prefix  `json:"bgp,omitempty"`
}

func checkNodePortOnly() Check {
	return Check{Description: "the routers hold no route for any LB IP (the lb host's segment is all they know of it): traffic reaches the nodes at NodeIP:NodePort only",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			class, why := externalClass(env)
			if class == "" {
				return skip("%s", why)
			}
			segs := env.Topology().ExternalLB.Prefixes()
			return poll(ctx, attempt, func(ctx context.Context) Outcome {
				c, err := env.Cluster(ctx)
				if err != nil {
					return errOutcome(err)
				}
				var ips []netip.Addr
				for _, s := range c.Services {
					if s.Class == class {
						ips = append(ips, s.LBIPs...)
					}
				}
				if len(ips) == 0 {
					return fail(nil, "no Service of class %s has an LB IP yet", class)
				}
				ev := NodePortEvidence{Segments: segs, Routes: map[netip.Addr][]iproute.Route{}, BGP: map[netip.Addr][]netip.Prefix{}}
				for _, v6 := range []bool{false, true} {
					if !hasFamily(ips, v6) {
						continue
					}
					routes, err := torRoutes(ctx, env, v6)
					if err != nil {
						return errOutcome(err)
					}
					rib, err := torRIB(ctx, env, v6)
					if err != nil {
						return errOutcome(err)
					}
					for _, ip := range ips {
						if ip.Is6() != v6 {
							continue
						}
						for _, r := range routes {
							if r.Dst.Bits() > 0 && r.Dst.Contains(ip) {
								ev.Routes[ip] = append(ev.Routes[ip], r)
							}
						}
						for _, r := range rib.Routes {
							if r.Prefix.Contains(ip) && r.Prefix.Bits() > 0 {
								ev.BGP[ip] = append(ev.BGP[ip], r.Prefix)
							}
						}
					}
				}
				return JudgeNodePortOnly(ev)
			})
		}}
}

// JudgeNodePortOnly passes when the only route of the TOR covering each LB
// IP is the lb host's connected segment (no gateway), and BGP carries none.
func JudgeNodePortOnly(ev NodePortEvidence) Outcome {
	var problems []string
	for ip, rs := range ev.Routes {
		segment := false
		for _, r := range rs {
			isSeg := len(r.Nexthops) == 0 && slices.ContainsFunc(ev.Segments, func(s netip.Prefix) bool { return s.Masked() == r.Dst })
			if isSeg {
				segment = true
				continue
			}
			problems = append(problems, fmt.Sprintf("the TOR routes %s by %s (dev %s, proto %s)", ip, r.Dst, r.Dev, r.Protocol))
		}
		if !segment {
			problems = append(problems, fmt.Sprintf("the TOR has no connected route of the lb segment for %s", ip))
		}
	}
	for ip, ps := range ev.BGP {
		problems = append(problems, fmt.Sprintf("the TOR's BGP table has %v covering %s", ps, ip))
	}
	if len(ev.Routes) == 0 {
		problems = append(problems, "no LB IP was looked up")
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	return pass(ev, "%d LB IPs: the TOR knows only the lb host's segment for them, no host route and no BGP route", len(ev.Routes))
}

// WaitExternalLB waits until external-lb-backends passes: every Service of
// the class is forwarded to its eligible nodes by a healthy backend.
func WaitExternalLB(ctx context.Context, env Env, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	attempts := 0
	if out := checkExternalLBBackends().Run(ctx, env, &attempts); out.Status != Passed {
		return fmt.Errorf("the lb host did not forward every LoadBalancer IP to its nodes within %s: %s", timeout, out.Summary)
	}
	return nil
}
