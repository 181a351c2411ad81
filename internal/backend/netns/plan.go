package netns

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

// Address layout inside every node subnet.
const (
	torHostNum   = 1  // the TOR, default gateway of the nodes
	mgmtHostNum  = 2  // the machine's management veth
	firstNodeNum = 10 // nodes in topology order
)

// host is one lab host as the netns backend lays it out.
type host struct {
	name string
	role lab.Role
	// ns is the host's network namespace; "" for a guest, which has a
	// kernel of its own.
	ns string
	// port is its bridge port in the fabric namespace: a veth whose far
	// end is eth0 in ns, or a guest's tap; "" for the client.
	port  string
	addrs []netip.Prefix // on eth0
	// classAddrs are a node's further addresses on eth0, one set per
	// class controller (by loadBalancerClass): its speaker's source.
	classAddrs map[string][]netip.Prefix
	// vipAddrs are a control-plane node's further addresses on eth0 in a
	// lab with an API server VIP: its VIP speaker's source.
	vipAddrs []netip.Prefix
	gws      []netip.Addr // default routes
	// guest is set when the host is a user-mode Linux guest (a worker of
	// a lab whose nodeKernel is uml).
	guest bool
}

// plan is the complete layout of one lab. It is a pure function of the
// resolved topology, so it can be recomputed by `down`, `status` and `exec`.
type plan struct {
	lab       string
	fabricNS  string
	hostLink  string // the machine's end of the management veth
	hostAlias string
	mgmt      []netip.Prefix // addresses on hostLink
	tor       host
	torUplink []netip.Prefix // the TOR's eth1, facing the client
	client    host
	// lb is the external load balancer host, behind the TOR's eth2 (whose
	// addresses are torLB); nil without externalLB.
	lb       *host
	torLB    []netip.Prefix
	nodes    []host
	routerID netip.Addr
	// vips are the API server VIPs (controlPlane), in family order; nil
	// without one. vipL2 is set when they are answered by ARP/NDP on the
	// nodes' segment (controller.mode l2) instead of routed by BGP.
	vips      []netip.Addr
	vipL2     bool
	dataplane topology.Dataplane
	// controller is the LoadBalancer controller whose processes run.
	controller topology.ControllerType
}

// nsName is the namespace name of a lab host. Lab names are DNS labels, so
// the underscore makes "<lab>_" an unambiguous prefix.
func nsName(labName, host string) string { return labName + "_" + host }

// nsPrefix is the prefix of every namespace a lab makes.
func nsPrefix(labName string) string { return labName + "_" }

// hostLinkName is the machine-side management veth, unique per lab and at
// most 15 characters.
func hostLinkName(labName string) string {
	sum := sha256.Sum256([]byte(labName))
	return "lbl" + hex.EncodeToString(sum[:4])
}

func hostAlias(labName string) string { return "lblab:" + labName }

// newPlan lays out a lab whose node subnets are set.
func newPlan(t *topology.Topology) (*plan, error) {
	subnets := t.Network.Prefixes()
	if len(subnets) == 0 {
		return nil, fmt.Errorf("lab %s has no node subnet", t.Name)
	}
	p := &plan{
		lab:        t.Name,
		fabricNS:   nsName(t.Name, "fabric"),
		hostLink:   hostLinkName(t.Name),
		hostAlias:  hostAlias(t.Name),
		dataplane:  t.Dataplane,
		controller: t.Controller.Type,
	}
	nth := func(pfx netip.Prefix, n int) (netip.Prefix, error) {
		a, ok := netaddr.Nth(pfx, uint64(n))
		if !ok {
			return netip.Prefix{}, fmt.Errorf("subnet %s has no room for host number %d", pfx, n)
		}
		return netip.PrefixFrom(a, pfx.Bits()), nil
	}
	p.tor = host{name: "tor", role: lab.RoleTOR, ns: nsName(t.Name, "tor"), port: "tor"}
	for _, s := range subnets {
		torAddr, err := nth(s, torHostNum)
		if err != nil {
			return nil, err
		}
		mgmt, err := nth(s, mgmtHostNum)
		if err != nil {
			return nil, err
		}
		p.tor.addrs = append(p.tor.addrs, torAddr)
		p.mgmt = append(p.mgmt, mgmt)
	}
	nodes := len(t.Nodes.List)
	for i, n := range t.Nodes.List {
		h := host{name: n.Name, role: lab.Role(n.Role), ns: nsName(t.Name, n.Name), port: portName(n.Name, i)}
		if t.NodeKernel == topology.NodeKernelUML && h.role == lab.RoleWorker {
			h.ns, h.guest = "", true
		}
		for _, s := range subnets {
			a, err := nth(s, firstNodeNum+i)
			if err != nil {
				return nil, err
			}
			h.addrs = append(h.addrs, a)
			// Class controllers' addresses follow all the nodes' first ones.
			for k, cl := range t.Controller.Classes {
				a, err := nth(s, firstNodeNum+(k+1)*nodes+i)
				if err != nil {
					return nil, err
				}
				if h.classAddrs == nil {
					h.classAddrs = map[string][]netip.Prefix{}
				}
				h.classAddrs[cl.LoadBalancerClass] = append(h.classAddrs[cl.LoadBalancerClass], a)
			}
			// VIP speakers' BGP sources follow those (L2 mode has no
			// session to source).
			if t.ControlPlane != nil && t.Controller.Mode != topology.ModeL2 && h.role == lab.RoleControlPlane {
				a, err := nth(s, firstNodeNum+(len(t.Controller.Classes)+1)*nodes+i)
				if err != nil {
					return nil, err
				}
				h.vipAddrs = append(h.vipAddrs, a)
			}
		}
		h.gws = addrs(p.tor.addrs)
		p.nodes = append(p.nodes, h)
	}
	p.client = host{name: "client", role: lab.RoleClient, ns: nsName(t.Name, "client")}
	for _, c := range t.Network.ClientPrefixes() {
		torSide, err := nth(c, 1)
		if err != nil {
			return nil, err
		}
		clientSide, err := nth(c, 2)
		if err != nil {
			return nil, err
		}
		p.torUplink = append(p.torUplink, torSide)
		p.client.addrs = append(p.client.addrs, clientSide)
		p.client.gws = append(p.client.gws, torSide.Addr())
	}
	if x := t.ExternalLB; x != nil {
		lb := host{name: "lb", role: lab.RoleLB, ns: nsName(t.Name, "lb")}
		for _, s := range x.Prefixes() {
			torSide, err := nth(s, 1)
			if err != nil {
				return nil, err
			}
			lbSide, err := nth(s, 2)
			if err != nil {
				return nil, err
			}
			p.torLB = append(p.torLB, torSide)
			lb.addrs = append(lb.addrs, lbSide)
			lb.gws = append(lb.gws, torSide.Addr())
		}
		p.lb = &lb
	}
	if t.ControlPlane != nil {
		p.vips = t.ControlPlane.VIPs()
		p.vipL2 = t.Controller.Mode == topology.ModeL2
	}
	p.routerID = t.RouterID(addrs(p.tor.addrs)...)
	return p, nil
}

// fabricAddrs are all of a host's addresses on eth0: its own, then its
// class controllers', in class order, then its VIP speaker's.
func (h host) fabricAddrs() []netip.Prefix {
	out := slices.Clone(h.addrs)
	for _, c := range slices.Sorted(maps.Keys(h.classAddrs)) {
		out = append(out, h.classAddrs[c]...)
	}
	return append(out, h.vipAddrs...)
}

// classAddrsOf returns a host's class addresses without prefix lengths.
func (h host) classAddrsOf() map[string][]netip.Addr {
	if len(h.classAddrs) == 0 {
		return nil
	}
	out := map[string][]netip.Addr{}
	for c, ps := range h.classAddrs {
		out[c] = addrs(ps)
	}
	return out
}

// loadPlan lays out a running lab from its saved topology.
func loadPlan(name string) (*plan, error) {
	t, err := lab.LoadTopology(name)
	if err != nil {
		return nil, fmt.Errorf("lab %q not found: %w", name, err)
	}
	return newPlan(t)
}

// portName names a host's bridge port after the host when it fits in an
// interface name (15 bytes), else after its index.
func portName(name string, i int) string {
	if len(name) <= 15 && name != "br0" && name != "host" && name != "lo" {
		return name
	}
	return fmt.Sprintf("port%d", i)
}

func addrs(ps []netip.Prefix) []netip.Addr {
	out := make([]netip.Addr, len(ps))
	for i, p := range ps {
		out[i] = p.Addr()
	}
	return out
}

// hosts returns every host in creation order: TOR, nodes, client, and
// the lb host of an externalLB lab.
func (p *plan) hosts() []host {
	out := append(append([]host{p.tor}, p.nodes...), p.client)
	if p.lb != nil {
		out = append(out, *p.lb)
	}
	return out
}

// namespaces returns every namespace the plan makes, fabric first.
func (p *plan) namespaces() []string {
	out := []string{p.fabricNS}
	for _, h := range p.hosts() {
		if !h.guest {
			out = append(out, h.ns)
		}
	}
	return out
}

// controlPlanes returns the control-plane nodes, in topology order.
func (p *plan) controlPlanes() []host {
	var out []host
	for _, h := range p.nodes {
		if h.role == lab.RoleControlPlane {
			out = append(out, h)
		}
	}
	return out
}

// guests returns the hosts that are user-mode Linux guests.
func (p *plan) guests() []host {
	var out []host
	for _, h := range p.nodes {
		if h.guest {
			out = append(out, h)
		}
	}
	return out
}
