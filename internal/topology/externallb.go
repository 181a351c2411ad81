package topology

import (
	"fmt"
	"net/netip"

	"github.com/lblab/lblab/internal/netaddr"
)

// ExternalLBClass is the loadBalancerClass of lblab's external load
// balancer controller (controller/externallb).
const ExternalLBClass = "lblab.dev/external"

// Defaults of the external load balancer's segment: TEST-NET-3 and a
// documentation /64, the router at host number 1 and the lb host at 2.
const (
	DefaultIPv4LBSubnet      = "203.0.113.0/24"
	DefaultIPv6LBSubnet      = "2001:db8:e::/64"
	DefaultHealthIntervalMS  = 1000
	DefaultHealthFall        = 2
	DefaultHealthRise        = 2
	externalLBPoolFirst      = 100 // host number of a default pool's first address
	externalLBPoolSize       = 100
	externalLBReservedBefore = 3 // .0, the router (.1) and the lb host (.2)
)

// ExternalLB is an L4 load balancer host ("lb") on a segment of its own
// behind the TOR, one router hop from the nodes: the situation where the
// network between the load balancer and the nodes knows node IPs only, so
// the load balancer forwards each Service's LB IP:port to NodeIP:NodePort.
// The TOR carries the node subnets and this segment, never an LB IP route.
type ExternalLB struct {
	// LoadBalancerClass is the class the controller on the lb host
	// serves; the lab's workloads choose it with service.loadBalancerClass.
	LoadBalancerClass string `yaml:"loadBalancerClass,omitempty"`
	IPv4Subnet        string `yaml:"ipv4Subnet,omitempty"`
	IPv6Subnet        string `yaml:"ipv6Subnet,omitempty"`
	// Pools are the LB IPs the controller allocates, inside the subnets:
	// the lb host answers ARP and NDP for them on the segment.
	Pools       []Pool      `yaml:"pools,omitempty"`
	HealthCheck HealthCheck `yaml:"healthCheck,omitempty"`
}

// HealthCheck are the load balancer's active health checks of each
// NodeIP:NodePort (or, for externalTrafficPolicy Local, the Service's
// healthCheckNodePort).
type HealthCheck struct {
	IntervalMS int `yaml:"intervalMS,omitempty"` // default 1000
	Fall       int `yaml:"fall,omitempty"`       // failed checks to mark down, default 2
	Rise       int `yaml:"rise,omitempty"`       // passed checks to mark up, default 2
}

// Prefixes returns the segment's subnets in family order.
func (x *ExternalLB) Prefixes() []netip.Prefix { return parsePrefixes(x.IPv4Subnet, x.IPv6Subnet) }

func setExternalLBDefaults(x *ExternalLB, fam IPFamily) {
	setIfEmpty(&x.LoadBalancerClass, ExternalLBClass)
	if fam.HasV4() {
		setIfEmpty(&x.IPv4Subnet, DefaultIPv4LBSubnet)
	}
	if fam.HasV6() {
		setIfEmpty(&x.IPv6Subnet, DefaultIPv6LBSubnet)
	}
	if len(x.Pools) == 0 {
		p := Pool{Name: "external"}
		for _, s := range x.Prefixes() {
			first, ok1 := netaddr.Nth(s.Masked(), externalLBPoolFirst)
			last, ok2 := netaddr.Nth(s.Masked(), externalLBPoolFirst+externalLBPoolSize-1)
			if ok1 && ok2 {
				p.Addresses = append(p.Addresses, first.String()+"-"+last.String())
			}
		}
		if len(p.Addresses) > 0 {
			x.Pools = []Pool{p}
		}
	}
	defaultAutoAssign(x.Pools)
	h := &x.HealthCheck
	setIfZero(&h.IntervalMS, DefaultHealthIntervalMS)
	setIfZero(&h.Fall, DefaultHealthFall)
	setIfZero(&h.Rise, DefaultHealthRise)
}

// validateExternalLB checks externalLB and returns its subnets and pools
// for the overlap check, with the pairs it allows (a pool inside its
// segment).
func validateExternalLB(e *errs, t *Topology, names map[string]bool) (segs, pools []subnet) {
	x := t.ExternalLB
	if x == nil {
		return nil, nil
	}
	fam := t.Network.IPFamily
	var prefixes []netip.Prefix
	if x.LoadBalancerClass != ExternalLBClass {
		e.add("externalLB.loadBalancerClass", "%q: the external load balancer's controller serves the class %s only", x.LoadBalancerClass, ExternalLBClass)
	}
	if t.Controller.Type != ControllerNone {
		e.add("controller.type", "%s beside externalLB is not supported yet: set controller.type: none (the external load balancer's controller serves class %s; the BGP checks do not yet tell its Services from a BGP controller's)", t.Controller.Type, x.LoadBalancerClass)
	}
	if t.NodeKernel == NodeKernelUML {
		e.add("externalLB", "uml nodes are not supported with an external load balancer yet: drop nodeKernel: uml")
	}
	if t.Controller.classOf(x.LoadBalancerClass) != nil {
		e.add("externalLB.loadBalancerClass", "%q is also a class of controller.classes: one controller per class", x.LoadBalancerClass)
	}
	add := func(path, value string, v6, want bool) {
		switch {
		case value == "" && want:
			e.add(path, "required for network.ipFamily %s", fam)
			return
		case value == "":
			return
		case !want:
			e.add(path, "set, but network.ipFamily is %s", fam)
			return
		}
		p, err := netip.ParsePrefix(value)
		switch {
		case err != nil:
			e.add(path, "%s is not a valid prefix", value)
		case p.Addr().Is6() != v6:
			e.add(path, "%s is not an %s prefix", value, familyName(v6))
		case p != p.Masked():
			e.add(path, "%s has host bits set (the subnet is %s)", value, p.Masked())
		case p.Bits() > map[bool]int{false: 29, true: 125}[v6]:
			e.add(path, "%s is too small: the segment needs the router, the lb host and a pool", value)
		default:
			segs = append(segs, subnet{path: path, r: netaddr.PrefixRange(p)})
			prefixes = append(prefixes, p)
		}
	}
	add("externalLB.ipv4Subnet", x.IPv4Subnet, false, fam.HasV4())
	add("externalLB.ipv6Subnet", x.IPv6Subnet, true, fam.HasV6())
	if len(x.Pools) == 0 {
		e.add("externalLB.pools", "required: the LB IPs, inside externalLB's subnets")
	}
	pools = validatePools(e, "externalLB.pools", x.Pools, fam, names)
	for _, pl := range pools {
		inside := false
		for _, s := range prefixes {
			if !s.Contains(pl.r.From) || !s.Contains(pl.r.To) {
				continue
			}
			inside = true
			if free, _ := netaddr.Nth(s, externalLBReservedBefore); pl.r.From.Less(free) {
				e.add(pl.path, "%s includes the segment's network address, its router (host 1) or the lb host (host 2); start at %s or later", pl.r, free)
			}
		}
		if !inside {
			e.add(pl.path, "%s is not inside externalLB's subnets: the lb host answers ARP and NDP for its LB IPs on its segment, and no router carries a route for them", pl.r)
		}
	}
	h := x.HealthCheck
	if h.IntervalMS < 100 || h.IntervalMS > 60000 {
		e.add("externalLB.healthCheck.intervalMS", "%d is not between 100 and 60000", h.IntervalMS)
	}
	if h.Fall < 1 || h.Fall > 10 {
		e.add("externalLB.healthCheck.fall", "%d is not between 1 and 10", h.Fall)
	}
	if h.Rise < 1 || h.Rise > 10 {
		e.add("externalLB.healthCheck.rise", "%d is not between 1 and 10", h.Rise)
	}
	return segs, pools
}

// externalLBPool returns the pools of externalLB for a workload's class,
// and the field that names them.
func (t *Topology) externalLBPools(class string) ([]Pool, string, bool) {
	if t.ExternalLB == nil || class != t.ExternalLB.LoadBalancerClass {
		return nil, "", false
	}
	return t.ExternalLB.Pools, fmt.Sprintf("externalLB.pools (%s)", class), true
}
