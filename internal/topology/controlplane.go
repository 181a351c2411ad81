package topology

import (
	"fmt"
	"net/netip"

	"github.com/lblab/lblab/internal/netaddr"
)

// Defaults of the control plane's API server VIP: addresses outside every
// default subnet, and BGP timers short enough for a failover in seconds.
const (
	DefaultIPv4APIServerVIP = "10.90.0.1"
	DefaultIPv6APIServerVIP = "fd00:90::1"
	DefaultVIPHoldTime      = 3 // seconds
	DefaultVIPKeepaliveTime = 1
	DefaultVIPProbeInterval = 200 // ms
	DefaultVIPProbeTimeout  = 500 // ms
	DefaultVIPProbeFall     = 2
	DefaultVIPProbeRise     = 2
	maxControlPlanesWithVIP = 7
	minVIPProbeIntervalMS   = 50
	maxVIPProbeIntervalMS   = 10000
	maxVIPProbeConsecutive  = 10
	minVIPHoldTime          = 3
	maxVIPHoldTime          = 65535
	// l2VIPHostNum is the default VIP's host number in each node subnet
	// in controller.mode l2, above the default pool (192-207).
	l2VIPHostNum = 240
)

// ControlPlane, when set, puts the kube-apiservers of the lab's
// control-plane nodes behind a VIP. In controller.mode bgp each
// control-plane node announces it to the TOR while its own kube-apiserver
// answers /readyz, so the TOR's ECMP route for the VIP has exactly the
// ready API servers as next hops. In mode l2 the VIP lies in the node
// subnet and one control-plane node with a ready kube-apiserver answers
// ARP/NDP for it. Every client of the API server outside the control
// plane uses the VIP.
type ControlPlane struct {
	IPv4VIP string `yaml:"ipv4VIP,omitempty"`
	IPv6VIP string `yaml:"ipv6VIP,omitempty"`
	// HoldTime and KeepaliveTime (seconds) of the VIP sessions: a
	// control-plane host that dies is dropped from the route after the
	// hold time.
	HoldTime      int `yaml:"holdTime,omitempty"`
	KeepaliveTime int `yaml:"keepaliveTime,omitempty"`
	// Probe is how each node judges its own kube-apiserver.
	Probe VIPProbe `yaml:"probe,omitempty"`
}

// VIPProbe polls the local kube-apiserver's /readyz: fall failures in a
// row withdraw the VIP, rise successes in a row announce it.
type VIPProbe struct {
	IntervalMS int `yaml:"intervalMS,omitempty"`
	TimeoutMS  int `yaml:"timeoutMS,omitempty"`
	Fall       int `yaml:"fall,omitempty"`
	Rise       int `yaml:"rise,omitempty"`
}

// VIPs returns the API server VIPs in family order.
func (c *ControlPlane) VIPs() []netip.Addr {
	var out []netip.Addr
	for _, s := range []string{c.IPv4VIP, c.IPv6VIP} {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a)
		}
	}
	return out
}

func setControlPlaneDefaults(c *ControlPlane, n *Network, mode Mode) {
	v4, v6 := DefaultIPv4APIServerVIP, DefaultIPv6APIServerVIP
	if mode == ModeL2 {
		// On the segment; none while a backend has yet to choose the node
		// subnets (it sets the defaults again once it has).
		v4, v6 = l2VIP(n.IPv4Subnet), l2VIP(n.IPv6Subnet)
	}
	if n.IPFamily.HasV4() {
		setIfEmpty(&c.IPv4VIP, v4)
	}
	if n.IPFamily.HasV6() {
		setIfEmpty(&c.IPv6VIP, v6)
	}
	setIfZero(&c.HoldTime, DefaultVIPHoldTime)
	setIfZero(&c.KeepaliveTime, DefaultVIPKeepaliveTime)
	p := &c.Probe
	setIfZero(&p.IntervalMS, DefaultVIPProbeInterval)
	setIfZero(&p.TimeoutMS, DefaultVIPProbeTimeout)
	setIfZero(&p.Fall, DefaultVIPProbeFall)
	setIfZero(&p.Rise, DefaultVIPProbeRise)
}

// l2VIP is host number l2VIPHostNum of a node subnet, or "".
func l2VIP(subnet string) string {
	p, err := netip.ParsePrefix(subnet)
	if err != nil {
		return ""
	}
	a, ok := netaddr.Nth(p.Masked(), l2VIPHostNum)
	if !ok {
		return ""
	}
	return a.String()
}

// validateControlPlane checks controlPlane and returns the VIPs as
// subnets for the overlap check.
func validateControlPlane(e *errs, t *Topology) []subnet {
	c := t.ControlPlane
	cps := len(t.Nodes.ControlPlanes())
	if c == nil {
		if cps != 1 {
			e.add("nodes", "%d control-plane nodes need an API server VIP: add controlPlane: {} (or set its ipv4VIP/ipv6VIP), or keep exactly 1 control-plane node", cps)
		}
		return nil
	}
	switch {
	case cps < 1 || cps > maxControlPlanesWithVIP || cps%2 == 0:
		e.add("nodes", "controlPlane needs an odd number of control-plane nodes between 1 and %d (etcd keeps quorum with a majority), have %d", maxControlPlanesWithVIP, cps)
	}
	if t.NodeKernel == NodeKernelUML {
		e.add("controlPlane", "uml nodes are not supported with an API server VIP yet: drop nodeKernel: uml")
	}
	if t.ExternalLB != nil {
		e.add("controlPlane", "an API server VIP beside externalLB is not supported yet: use one of them per lab")
	}
	var out []subnet
	fam := t.Network.IPFamily
	for _, f := range []struct {
		path, value string
		v6, want    bool
	}{
		{"controlPlane.ipv4VIP", c.IPv4VIP, false, fam.HasV4()},
		{"controlPlane.ipv6VIP", c.IPv6VIP, true, fam.HasV6()},
	} {
		if f.value == "" {
			switch {
			case !f.want:
			case t.Controller.Mode != ModeL2:
				e.add(f.path, "required for network.ipFamily %s", fam)
			case nodeSubnet(&t.Network, f.v6) != "":
				// The default did not fit; without a subnet it waits for one.
				e.add(f.path, "required for network.ipFamily %s: the default, host number %d of %s, is not in it; set an address of it", fam, l2VIPHostNum, nodeSubnet(&t.Network, f.v6))
			}
			continue
		}
		if !f.want {
			e.add(f.path, "set, but network.ipFamily is %s", fam)
			continue
		}
		a, err := netip.ParseAddr(f.value)
		switch {
		case err != nil || a.Zone() != "":
			e.add(f.path, "%q is not an IP address", f.value)
		case a.Is6() != f.v6 || a.Is4In6():
			e.add(f.path, "%s is not an %s address", f.value, familyName(f.v6))
		case !a.IsGlobalUnicast():
			e.add(f.path, "%s is not a unicast address a router can carry", a)
		case t.Controller.Mode == ModeL2:
			checkL2VIP(e, f.path, a, &t.Network, len(t.Nodes.List))
			out = append(out, subnet{path: f.path, r: netaddr.PrefixRange(netip.PrefixFrom(a, a.BitLen()))})
		default:
			out = append(out, subnet{path: f.path, r: netaddr.PrefixRange(netip.PrefixFrom(a, a.BitLen()))})
		}
	}
	if c.HoldTime < minVIPHoldTime || c.HoldTime > maxVIPHoldTime {
		e.add("controlPlane.holdTime", "%d is not between %d and %d seconds", c.HoldTime, minVIPHoldTime, maxVIPHoldTime)
	}
	if c.KeepaliveTime < 1 || c.KeepaliveTime >= c.HoldTime {
		e.add("controlPlane.keepaliveTime", "%d must be at least 1 and below holdTime (%d)", c.KeepaliveTime, c.HoldTime)
	}
	p := c.Probe
	if p.IntervalMS < minVIPProbeIntervalMS || p.IntervalMS > maxVIPProbeIntervalMS {
		e.add("controlPlane.probe.intervalMS", "%d is not between %d and %d", p.IntervalMS, minVIPProbeIntervalMS, maxVIPProbeIntervalMS)
	}
	if p.TimeoutMS < minVIPProbeIntervalMS || p.TimeoutMS > maxVIPProbeIntervalMS {
		e.add("controlPlane.probe.timeoutMS", "%d is not between %d and %d", p.TimeoutMS, minVIPProbeIntervalMS, maxVIPProbeIntervalMS)
	}
	for _, x := range []struct {
		path string
		v    int
	}{{"controlPlane.probe.fall", p.Fall}, {"controlPlane.probe.rise", p.Rise}} {
		if x.v < 1 || x.v > maxVIPProbeConsecutive {
			e.add(x.path, "%d is not between 1 and %d", x.v, maxVIPProbeConsecutive)
		}
	}
	return out
}

// String describes the VIP for progress lines.
func (c *ControlPlane) String() string {
	return fmt.Sprintf("API server VIP %v (hold %ds, probe every %dms)", c.VIPs(), c.HoldTime, c.Probe.IntervalMS)
}
