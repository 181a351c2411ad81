package graph

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/observe"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/scenarios"
)

// Read draws the lab env reaches as it stands: the TOR's BGP neighbours
// and FIB routes, and the cluster's Services and endpoints. A reader that
// fails leaves its part out and is named in Problems; Read fails only when
// it can read nothing of the lab at all (no hosts).
func Read(ctx context.Context, env scenarios.Env, backend, segment string) (*Graph, error) {
	t := env.Topology()
	g := &Graph{Lab: env.Name(), Backend: backend, Dataplane: string(t.Dataplane), Segment: segment}
	for _, h := range env.Hosts() {
		g.Hosts = append(g.Hosts, host(t, h))
	}
	tor, ok := observe.TOR(env.Hosts())
	if !ok {
		g.Problems = append(g.Problems, "the lab has no TOR")
		return g, nil
	}
	l2 := t.Controller.Mode == topology.ModeL2
	if l2 {
		// No BGP: the owners are drawn with the LB IPs below.
	} else if sum, _, err := observe.TORSummary(ctx, tor); err != nil {
		g.Problems = append(g.Problems, err.Error())
	} else {
		nodes, v6s := scenarios.ExpectedSpeakers(env)
		ev, _ := scenarios.Sessions(nodes, v6s, sum.Peers())
		bfd := map[netip.Addr]string{}
		if t.TOR.BFD != nil {
			peers, _, err := observe.TORBFDPeers(ctx, tor)
			if err != nil {
				g.Problems = append(g.Problems, err.Error())
			}
			for _, p := range peers {
				bfd[p.Peer] = p.Status
			}
		}
		for _, e := range ev {
			s := Session{Node: e.Node, Peer: e.Peer, Family: e.Family, State: e.State, Problem: e.Problem, BFD: bfd[e.Peer]}
			if s.BFD == "" && t.TOR.BFD != nil && e.Peer.IsValid() {
				s.BFD = "none" // configured, but bfdd has no session with it
			}
			g.Sessions = append(g.Sessions, s)
		}
	}
	c, err := env.Cluster(ctx)
	if err != nil {
		g.Problems = append(g.Problems, "failed to read the cluster: "+err.Error())
		return g, nil
	}
	if l2 {
		ev, err := scenarios.ObserveL2(ctx, env, c)
		if err != nil {
			g.Problems = append(g.Problems, err.Error())
		}
		g.LBIPs = FanOutL2(c, ev)
		if cp := t.ControlPlane; cp != nil {
			answered, err := scenarios.VIPAnswers(ctx, env, cp.VIPs())
			if err != nil {
				g.Problems = append(g.Problems, err.Error())
			}
			g.LBIPs = append(g.LBIPs, FanOutVIPL2(env.Hosts(), cp.VIPs(), answered)...)
		}
		return g, nil
	}
	routes := map[bool][]iproute.Route{}
	for _, v6 := range []bool{false, true} {
		if !(v6 && t.Network.IPFamily.HasV6() || !v6 && t.Network.IPFamily.HasV4()) {
			continue
		}
		rs, _, err := observe.TORRoutes(ctx, tor, v6)
		if err != nil {
			g.Problems = append(g.Problems, err.Error())
			continue
		}
		routes[v6] = rs
	}
	g.LBIPs = FanOut(c, routes)
	if cp := t.ControlPlane; cp != nil {
		g.LBIPs = append(g.LBIPs, FanOutVIP(env.Hosts(), cp.VIPs(), routes)...)
	}
	return g, nil
}

// VIPService is what the graph names the API server VIP's "Service".
const VIPService = "API server VIP"

// FanOutVIP draws the API server VIPs like LB IPs: the control-plane nodes
// in the TOR's route for each (by their VIP speakers' addresses), and
// every control-plane node as one that should be.
func FanOutVIP(hosts []lab.Node, vips []netip.Addr, routes map[bool][]iproute.Route) []LBIP {
	var out []LBIP
	for _, v := range vips {
		l := LBIP{Service: VIPService, IP: v}
		in := map[string]bool{}
		for _, gw := range nexthops(routes[v.Is6()], v) {
			i := slices.IndexFunc(hosts, func(h lab.Node) bool { return slices.Contains(h.VIPAddrs, gw) })
			if i < 0 {
				l.Strangers = append(l.Strangers, gw)
				continue
			}
			l.Nexthops = append(l.Nexthops, hosts[i].Name)
			in[hosts[i].Name] = true
		}
		for _, h := range hosts {
			if h.Role == lab.RoleControlPlane {
				l.Nodes = append(l.Nodes, Fan{Node: h.Name, Eligible: true, InRoute: in[h.Name]})
			}
		}
		out = append(out, l)
	}
	return out
}

// FanOutVIPL2 draws the API server VIPs of an L2 lab: the control-plane
// nodes whose MACs answered ARP/NDP for each (one, when all is well), and
// every control-plane node as one that may.
func FanOutVIPL2(hosts []lab.Node, vips []netip.Addr, answered map[netip.Addr][]string) []LBIP {
	var out []LBIP
	for _, v := range vips {
		l := LBIP{Service: VIPService, IP: v, L2: true}
		in := map[string]bool{}
		for _, name := range answered[v] {
			if strings.HasPrefix(name, scenarios.UnknownMAC) {
				l.Unknown++
				continue
			}
			l.Nexthops = append(l.Nexthops, name)
			in[name] = true
		}
		for _, h := range hosts {
			if h.Role == lab.RoleControlPlane {
				l.Nodes = append(l.Nodes, Fan{Node: h.Name, Eligible: true, InRoute: in[h.Name]})
			}
		}
		out = append(out, l)
	}
	return out
}

func host(t *topology.Topology, h lab.Node) Host {
	out := Host{Name: h.Name, Role: string(h.Role), Addrs: h.Addrs, Kernel: h.Kernel}
	switch h.Role {
	case lab.RoleTOR:
		out.ASN = t.TOR.ASN
	case lab.RoleControlPlane, lab.RoleWorker:
		if t.Controller.Type != topology.ControllerNone {
			out.ASN = t.Controller.ASN
		}
		if !h.NoDataplane {
			out.Dataplane = string(t.Dataplane)
		}
	}
	return out
}

// FanOut draws every LB IP of the cluster's Services: the nodes in the
// TOR's route for it (routes by family, true = IPv6), the nodes that should
// be, and the pods of the IP's family on each.
func FanOut(c *scenarios.Cluster, routes map[bool][]iproute.Route) []LBIP {
	var out []LBIP
	for _, s := range c.Services {
		eligible := scenarios.EligibleNodes(c, s)
		for _, ip := range s.LBIPs {
			l := LBIP{Service: s.Key(), IP: ip, ETPLocal: s.ETPLocal}
			fans := map[string]*Fan{}
			fan := func(node string) *Fan {
				if fans[node] == nil {
					fans[node] = &Fan{Node: node, Eligible: slices.Contains(eligible, node)}
				}
				return fans[node]
			}
			for _, gw := range nexthops(routes[ip.Is6()], ip) {
				if n, ok := nodeWith(c, gw); ok {
					l.Nexthops = append(l.Nexthops, n)
					fan(n).InRoute = true
				} else {
					l.Strangers = append(l.Strangers, gw)
				}
			}
			for _, n := range eligible {
				fan(n)
			}
			for _, ep := range s.Endpoints {
				if ep.Node == "" || ep.Addr.Is6() != ip.Is6() {
					continue
				}
				f := fan(ep.Node)
				f.Pods = append(f.Pods, Pod{Name: ep.Pod, Addr: ep.Addr, Ready: ep.Ready})
			}
			for _, n := range c.Nodes { // in the cluster's order
				if f := fans[n.Name]; f != nil {
					slices.SortFunc(f.Pods, func(a, b Pod) int { return a.Addr.Compare(b.Addr) })
					l.Nodes = append(l.Nodes, *f)
				}
			}
			out = append(out, l)
		}
	}
	return out
}

// nexthops returns the gateways of the route for ip alone.
func nexthops(routes []iproute.Route, ip netip.Addr) []netip.Addr {
	want := netip.PrefixFrom(ip, ip.BitLen())
	for _, r := range routes {
		if r.Dst == want {
			var out []netip.Addr
			for _, nh := range r.Nexthops {
				out = append(out, nh.Gateway)
			}
			return out
		}
	}
	return nil
}

// nodeWith names the node that has addr.
func nodeWith(c *scenarios.Cluster, addr netip.Addr) (string, bool) {
	for _, n := range c.Nodes {
		if slices.Contains(n.Addrs, addr) {
			return n.Name, true
		}
	}
	return "", false
}

// FanOutL2 draws the LB IPs of an L2 lab: the nodes that answer ARP or
// NDP for each (exactly one when all is well), the nodes that may, and
// their pods.
func FanOutL2(c *scenarios.Cluster, ev []scenarios.L2Evidence) []LBIP {
	owners := map[netip.Addr][]string{}
	for _, e := range ev {
		owners[e.IP] = e.Owners
	}
	out := FanOut(c, nil)
	for i := range out {
		l := &out[i]
		l.L2 = true
		for _, o := range owners[l.IP] {
			if o == "?" {
				l.Unknown++
				continue
			}
			l.Nexthops = append(l.Nexthops, o)
			j := slices.IndexFunc(l.Nodes, func(f Fan) bool { return f.Node == o })
			if j < 0 { // an owner that may not own it: neither eligible nor holding pods
				l.Nodes = append(l.Nodes, Fan{Node: o})
				j = len(l.Nodes) - 1
			}
			l.Nodes[j].InRoute = true
		}
	}
	return out
}
