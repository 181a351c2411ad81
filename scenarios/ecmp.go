package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/netaddr"
)

// RouteEvidence is what the TOR has for one LB IP.
type RouteEvidence struct {
	Service  string       `json:"service"`
	Prefix   netip.Prefix `json:"prefix"`
	Want     []netip.Addr `json:"want"`               // eligible nodes' addresses
	Nexthops []netip.Addr `json:"nexthops"`           // what the TOR has
	Eligible []string     `json:"eligible,omitempty"` // eligible node names
	Problem  string       `json:"problem,omitempty"`
}

// Expectation is one LB IP and the next hops it must have. Problem says
// why the route cannot be judged as the lab stands: the Service has no IP
// of a family it asked for (IP is then invalid), or an eligible node has
// no address of the IP's family to be a next hop.
type Expectation struct {
	Service  string
	IP       netip.Addr
	Eligible []string
	Want     []netip.Addr
	Problem  string
}

// Expectations derives, for every LB IP of the cluster's Services, the
// exact set of next hops: the eligible nodes' addresses of that family;
// and one failing expectation per family a Service asked for and holds no
// IP of.
func Expectations(c *Cluster) []Expectation {
	var out []Expectation
	for _, s := range c.Services {
		el := EligibleNodes(c, s)
		for _, ip := range s.LBIPs {
			e := Expectation{Service: s.Key(), IP: ip, Eligible: el, Want: SpeakerAddrs(c, el, s.Class, ip)}
			if bare := unaddressed(c, el, ip.Is6()); len(bare) > 0 {
				e.Problem = fmt.Sprintf("eligible node %s has no %s address to be a next hop", strings.Join(bare, ", "), familyName(ip.Is6()))
			}
			out = append(out, e)
		}
		for _, fam := range missingFamilies(c, s) {
			out = append(out, Expectation{Service: s.Key(), Eligible: el, Problem: "no " + fam + " external IP to route"})
		}
	}
	return out
}

// missingFamilies returns the families a Service asked for (spec.ipFamilies)
// and holds no LB IP of, but those the controller cannot serve.
func missingFamilies(c *Cluster, s ServiceInfo) []string {
	var out []string
	for _, fam := range s.Families {
		if _, no := c.Unserved[fam]; no {
			continue
		}
		if !hasFamily(s.LBIPs, fam == "IPv6") {
			out = append(out, fam)
		}
	}
	return out
}

// ipProblems names, for every Service, the families it asked for and
// holds no LB IP of: what a check of its LB IPs cannot look at.
func ipProblems(c *Cluster) []string {
	var out []string
	for _, s := range c.Services {
		for _, fam := range missingFamilies(c, s) {
			out = append(out, fmt.Sprintf("%s has no %s external IP", s.Key(), fam))
		}
	}
	return out
}

// unaddressed returns the named nodes without an address of one family.
func unaddressed(c *Cluster, names []string, v6 bool) []string {
	var out []string
	for _, name := range names {
		if n, ok := c.Node(name); !ok || !hasFamily(n.Addrs, v6) {
			out = append(out, name)
		}
	}
	return out
}

func checkECMPRIB() Check {
	return routeCheck(
		"the TOR's BGP table has one path per eligible node for each LB IP, next hops exactly the eligible node IPs",
		torRIB, JudgeRIB)
}

func checkECMPFIB() Check {
	return routeCheck(
		"the TOR's kernel route for each LB IP is one multipath route with exactly the eligible next hops",
		torRoutes, func(exp []Expectation, tables map[bool][]iproute.Route, held []netip.Addr, ps map[string][]netaddr.Range) Outcome {
			return JudgeFIB(exp, append(tables[false], tables[true]...), held, ps)
		})
}

// routeCheck is ecmp-rib and ecmp-fib: each observation derives the
// expectations from the cluster, reads the TOR's table of each family in
// play (tableFamilies) with read, and judges the tables (by family: false
// = IPv4).
func routeCheck[T any](description string, read func(ctx context.Context, env Env, v6 bool) (T, error),
	judge func(exp []Expectation, tables map[bool]T, held []netip.Addr, ps map[string][]netaddr.Range) Outcome) Check {
	return Check{Description: description,
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			if out, ok := bgpOnly(env); !ok {
				return out
			}
			ps := pools(env)
			return poll(ctx, attempt, func(ctx context.Context) Outcome {
				c, err := env.Cluster(ctx)
				if err != nil {
					return errOutcome(err)
				}
				exp := Expectations(c)
				if len(exp) == 0 {
					return fail(nil, "no LoadBalancer Service of the topology has an external IP yet")
				}
				tables := map[bool]T{}
				for _, v6 := range tableFamilies(c.Held, ps) {
					if tables[v6], err = read(ctx, env, v6); err != nil {
						return errOutcome(err)
					}
				}
				return judge(exp, tables, c.Held, ps)
			})
		}}
}

// tableFamilies returns the families (false = IPv4) whose routes the
// route checks read: those of the LB IPs Services hold, and those of the
// pools, where a stale route can outlive the last Service of its family.
func tableFamilies(held []netip.Addr, ps map[string][]netaddr.Range) []bool {
	var out []bool
	for _, v6 := range []bool{false, true} {
		inPool := false
		for _, rs := range ps {
			inPool = inPool || slices.ContainsFunc(rs, func(r netaddr.Range) bool { return r.Is6() == v6 })
		}
		if inPool || hasFamily(held, v6) {
			out = append(out, v6)
		}
	}
	return out
}

// JudgeRIB compares the TOR's BGP tables (by family: false = IPv4) with the
// expectations. It fails on a missing route, a missing or extra next hop, a
// path not selected for multipath, two paths from one node, and a stale
// route (a host route inside a pool that no Service holds).
func JudgeRIB(exp []Expectation, ribs map[bool]*frr.RIB, held []netip.Addr, ps map[string][]netaddr.Range) Outcome {
	var ev []RouteEvidence
	var problems []string
	for _, e := range exp {
		re := RouteEvidence{Service: e.Service, Want: e.Want, Eligible: e.Eligible, Nexthops: []netip.Addr{}}
		if !e.IP.IsValid() {
			problems = append(problems, fmt.Sprintf("%s: %s", e.Service, e.Problem))
			re.Problem = e.Problem
			ev = append(ev, re)
			continue
		}
		re.Prefix = hostPrefix(e.IP)
		rib := ribs[e.IP.Is6()]
		var rt frr.Route
		ok := false
		if rib != nil {
			rt, ok = rib.Lookup(re.Prefix)
		}
		switch {
		case !ok && len(e.Want) == 0:
			// no eligible node: the IP must not be announced, and is not
		case !ok:
			re.Problem = "no BGP route"
		default:
			var all []netip.Addr
			for _, p := range rt.Paths {
				nh, _ := p.Nexthop()
				if !p.Valid {
					continue
				}
				if slices.Contains(all, nh) {
					re.Problem = fmt.Sprintf("two paths via %s", nh)
				}
				all = append(all, nh)
				if !p.Selected() {
					re.Problem = fmt.Sprintf("path via %s is not selected for multipath (AS path %v)", nh, p.ASPath)
				}
			}
			re.Nexthops = frr.SortAddrs(all)
			if p := nexthopProblem(e.Want, re.Nexthops); p != "" {
				re.Problem = p
			}
		}
		re.Problem = joinProblems(re.Problem, e.Problem)
		if re.Problem != "" {
			problems = append(problems, fmt.Sprintf("%s (%s): %s", re.Prefix, e.Service, re.Problem))
		}
		ev = append(ev, re)
	}
	for _, v6 := range []bool{false, true} { // stable order
		rib := ribs[v6]
		if rib == nil {
			continue
		}
		for _, rt := range rib.Routes {
			if stale(rt.Prefix, held, ps) {
				problems = append(problems, fmt.Sprintf("stale route %s in the BGP table (no Service holds it)", rt.Prefix))
				ev = append(ev, RouteEvidence{Prefix: rt.Prefix, Nexthops: rt.SelectedNexthops(), Problem: "stale"})
			}
		}
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	return pass(ev, "%s", routeSummary(ev))
}

// JudgeFIB compares the TOR's kernel routes with the expectations, with the
// same failures as JudgeRIB, and fails when an LB IP has more than one
// kernel route (the next hops shown are the first route's).
func JudgeFIB(exp []Expectation, routes []iproute.Route, held []netip.Addr, ps map[string][]netaddr.Range) Outcome {
	var ev []RouteEvidence
	var problems []string
	for _, e := range exp {
		re := RouteEvidence{Service: e.Service, Want: e.Want, Eligible: e.Eligible, Nexthops: []netip.Addr{}}
		if !e.IP.IsValid() {
			problems = append(problems, fmt.Sprintf("%s: %s", e.Service, e.Problem))
			re.Problem = e.Problem
			ev = append(ev, re)
			continue
		}
		re.Prefix = hostPrefix(e.IP)
		rt, ok := iproute.Lookup(routes, re.Prefix)
		switch {
		case !ok && len(e.Want) == 0:
		case !ok:
			re.Problem = "no kernel route"
		default:
			re.Nexthops = rt.Gateways()
			var parts []string
			if n := countRoutes(routes, re.Prefix); n > 1 {
				parts = append(parts, fmt.Sprintf("%d kernel routes, want one (multipath) route", n))
			}
			if p := nexthopProblem(e.Want, re.Nexthops); p != "" {
				parts = append(parts, p)
			}
			if bad := rt.Unusable(); len(bad) > 0 {
				parts = append(parts, "next hop "+strings.Join(bad, ", "))
			}
			re.Problem = strings.Join(parts, "; ")
		}
		re.Problem = joinProblems(re.Problem, e.Problem)
		if re.Problem != "" {
			problems = append(problems, fmt.Sprintf("%s (%s): %s", re.Prefix, e.Service, re.Problem))
		}
		ev = append(ev, re)
	}
	for _, rt := range routes {
		if rt.Dst.IsSingleIP() && stale(rt.Dst, held, ps) {
			problems = append(problems, fmt.Sprintf("stale kernel route %s via %s (no Service holds it)", rt.Dst, joinAddrs(rt.Gateways())))
			ev = append(ev, RouteEvidence{Prefix: rt.Dst, Nexthops: rt.Gateways(), Problem: "stale"})
		}
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	return pass(ev, "%s", routeSummary(ev))
}

// joinProblems joins the non-empty problems with "; ".
func joinProblems(ps ...string) string {
	var out []string
	for _, p := range ps {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

func countRoutes(routes []iproute.Route, p netip.Prefix) int {
	n := 0
	for _, r := range routes {
		if r.Dst == p {
			n++
		}
	}
	return n
}

func nexthopProblem(want, got []netip.Addr) string {
	missing, extra := addrDiff(want, got)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing next hop "+joinAddrs(missing))
	}
	if len(extra) > 0 {
		parts = append(parts, "extra next hop "+joinAddrs(extra))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(" (want %s, have %s)", orNone(want), orNone(got))
}

func orNone(as []netip.Addr) string {
	if len(as) == 0 {
		return "none"
	}
	return joinAddrs(as)
}

// stale reports whether a host route inside a pool is held by no Service.
func stale(p netip.Prefix, held []netip.Addr, ps map[string][]netaddr.Range) bool {
	return p.IsSingleIP() && InPools(ps, p.Addr()) && !slices.Contains(held, p.Addr())
}

func routeSummary(ev []RouteEvidence) string {
	var parts []string
	for _, e := range ev {
		parts = append(parts, fmt.Sprintf("%s via %s", e.Prefix, orNone(e.Nexthops)))
	}
	return strings.Join(parts, "; ")
}
