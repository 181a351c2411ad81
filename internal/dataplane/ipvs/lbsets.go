package ipvs

import (
	"fmt"
	"net/netip"
	"slices"
)

// LBSets are kube-proxy's four LB sets of one family as read on a node;
// a nil set was absent.
type LBSets struct {
	LoadBalancer *Set `json:"loadBalancer,omitempty"`
	Firewall     *Set `json:"firewall,omitempty"`
	SourceCIDR   *Set `json:"sourceCIDR,omitempty"`
	SourceIP     *Set `json:"sourceIP,omitempty"`
	// Rules are the iptables rules that consult the firewall sets, read
	// from the same node (ParseFirewallRules).
	Rules FirewallRules `json:"rules"`
}

// LBSetsOf picks one family's LB sets out of sets (as ParseSets or
// ReadSetsNetlink return them).
func LBSetsOf(sets []Set, v6 bool) LBSets {
	find := func(name string) *Set {
		name = SetName(name, v6)
		for i := range sets {
			if sets[i].Name == name {
				return &sets[i]
			}
		}
		return nil
	}
	return LBSets{LoadBalancer: find(LoadBalancerSet), Firewall: find(FirewallSet),
		SourceCIDR: find(SourceCIDRSet), SourceIP: find(SourceIPSet)}
}

// Access is what the LB sets do with traffic from outside to one LB
// IP,proto:port.
type Access struct {
	// Served: the IP,proto:port is in KUBE-LOAD-BALANCER.
	Served bool `json:"served"`
	// InFirewallSet: it is in KUBE-LOAD-BALANCER-FW (whether or not the
	// rules that drop by that set are in place yet).
	InFirewallSet bool `json:"inFirewallSet"`
	// Filtered: it is in KUBE-LOAD-BALANCER-FW, so only the sources of
	// Ranges and SourceIPs get in; the rest is dropped.
	Filtered bool `json:"filtered"`
	// Ranges are its KUBE-LOAD-BALANCER-SOURCE-CIDR entries, SourceIPs its
	// KUBE-LOAD-BALANCER-SOURCE-IP entries (as host prefixes).
	Ranges    []netip.Prefix `json:"ranges,omitempty"`
	SourceIPs []netip.Prefix `json:"sourceIPs,omitempty"`
}

// Access looks addr,proto:port up in the sets: filtered when it is in
// the firewall set and the rules drop what it lets through, letting in
// the sources of the set entries the rules consult.
func (l LBSets) Access(addr netip.Addr, proto string, port uint16) Access {
	inFW := l.Firewall != nil && l.Firewall.Has(addr, proto, port)
	a := Access{Served: l.LoadBalancer != nil && l.LoadBalancer.Has(addr, proto, port),
		InFirewallSet: inFW, Filtered: inFW && l.Rules.Drops}
	if l.SourceCIDR != nil && l.Rules.CIDRs {
		a.Ranges = l.SourceCIDR.Thirds(addr, proto, port)
	}
	if l.SourceIP != nil && l.Rules.IPs {
		a.SourceIPs = l.SourceIP.Thirds(addr, proto, port)
	}
	return a
}

// Allowed returns the sources from outside the node that get in: nil and
// false when the address is not filtered (every source), else its ranges
// and its single sources other than the LB IP itself (kube-proxy's entry
// for the node's own traffic, which leaves it from the LB IP), sorted.
func (a Access) Allowed(addr netip.Addr) ([]netip.Prefix, bool) {
	if !a.Filtered {
		return nil, false
	}
	out := []netip.Prefix{}
	for _, p := range append(slices.Clone(a.Ranges), a.SourceIPs...) {
		if p == netip.PrefixFrom(addr, addr.BitLen()) && slices.Contains(a.SourceIPs, p) {
			continue
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(x, y netip.Prefix) int {
		if c := x.Addr().Compare(y.Addr()); c != 0 {
			return c
		}
		return x.Bits() - y.Bits()
	})
	return out, true
}

// lines renders the access for evidence.
func (a Access) lines(l LBSets, addr netip.Addr, proto string, port uint16) []string {
	name := func(s *Set, base string) string {
		if s != nil {
			return s.Name
		}
		return SetName(base, addr.Is6()) + " (absent)"
	}
	entry := fmt.Sprintf("%s,%s:%d", addr, proto, port)
	out := []string{fmt.Sprintf("ipset %s: %s member=%v", name(l.LoadBalancer, LoadBalancerSet), entry, a.Served),
		fmt.Sprintf("ipset %s: %s member=%v", name(l.Firewall, FirewallSet), entry, a.InFirewallSet)}
	for _, r := range l.Rules.Lines {
		out = append(out, "iptables "+r)
	}
	if a.InFirewallSet && !l.Rules.Drops {
		out = append(out, "not filtered yet: no iptables rule drops what "+name(l.Firewall, FirewallSet)+" does not let in")
	}
	for _, r := range a.Ranges {
		out = append(out, fmt.Sprintf("ipset %s: %s,%s", name(l.SourceCIDR, SourceCIDRSet), entry, r))
	}
	for _, r := range a.SourceIPs {
		out = append(out, fmt.Sprintf("ipset %s: %s,%s", name(l.SourceIP, SourceIPSet), entry, r.Addr()))
	}
	if !a.Filtered && len(a.Ranges)+len(a.SourceIPs) > 0 {
		out = append(out, "source entries not in force: the address is not in "+name(l.Firewall, FirewallSet))
	}
	return out
}
