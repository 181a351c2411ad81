package kind

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

// familySubnets keeps the subnets of the families the topology uses, IPv4
// first (kind's network always has an IPv6 subnet, even for IPv4 labs).
func familySubnets(t *topology.Topology, subnets []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range subnets {
		if (p.Addr().Is4() && t.Network.IPFamily.HasV4()) || (p.Addr().Is6() && t.Network.IPFamily.HasV6()) {
			out = append(out, p)
		}
	}
	return out
}

// networkProblems checks the kind Docker network against the topology: it
// must have a subnet of every family the lab uses, and none of its subnets
// may overlap the pools, the pod or the service subnets. Fields set by the
// topology for the node subnets must equal the network's.
func networkProblems(t *topology.Topology, network string, subnets []netip.Prefix) []string {
	var problems []string
	var have4, have6 bool
	for _, s := range subnets {
		have4 = have4 || s.Addr().Is4()
		have6 = have6 || s.Addr().Is6()
	}
	if t.Network.IPFamily.HasV4() && !have4 {
		problems = append(problems, fmt.Sprintf("the Docker network %q has no IPv4 subnet (it has %v); "+
			"remove it (docker network rm %s) so kind recreates it, or use an IPv6 topology", network, subnets, network))
	}
	if t.Network.IPFamily.HasV6() && !have6 {
		problems = append(problems, fmt.Sprintf("the Docker network %q has no IPv6 subnet (it has %v), and network.ipFamily is %s; "+
			"remove it (docker network rm %s, once no kind cluster uses it) so kind recreates it with IPv6", network, subnets, t.Network.IPFamily, network))
	}
	for _, f := range []struct {
		field, value string
		v6           bool
	}{{"ipv4Subnet", t.Network.IPv4Subnet, false}, {"ipv6Subnet", t.Network.IPv6Subnet, true}} {
		if f.value == "" {
			continue
		}
		want, err := netip.ParsePrefix(f.value)
		if err != nil || !slices.Contains(subnets, want.Masked()) {
			problems = append(problems, fmt.Sprintf("network.%s: %s is not the subnet of the Docker network %q (%v); "+
				"on the kind backend the nodes live on that network: remove the field", f.field, f.value, network, subnets))
		}
	}
	type block struct {
		what string
		r    netaddr.Range
	}
	var blocks []block
	for _, p := range t.Controller.Pools {
		for i, a := range p.Addresses {
			if r, err := netaddr.ParseRange(a); err == nil {
				blocks = append(blocks, block{fmt.Sprintf("pool %q (controller.pools[].addresses[%d] %s)", p.Name, i, a), r})
			}
		}
	}
	for _, p := range t.Network.PodPrefixes() {
		blocks = append(blocks, block{"the pod subnet " + p.String(), netaddr.PrefixRange(p)})
	}
	for _, p := range t.Network.ServicePrefixes() {
		blocks = append(blocks, block{"the service subnet " + p.String(), netaddr.PrefixRange(p)})
	}
	for _, s := range subnets {
		for _, b := range blocks {
			if netaddr.PrefixRange(s).Overlaps(b.r) {
				problems = append(problems, fmt.Sprintf("%s overlaps the Docker network %q subnet %s: the TOR could not tell "+
					"node addresses from it; change it in the topology, or recreate the network with another subnet", b.what, network, s))
			}
		}
	}
	return problems
}

// covering returns the smallest prefix that holds an address range, for
// routes to a pool given as a-b.
func covering(r netaddr.Range) netip.Prefix {
	for bits := r.From.BitLen(); bits >= 0; bits-- {
		p, _ := r.From.Prefix(bits)
		if p.Contains(r.To) {
			return p
		}
	}
	return netip.Prefix{}
}

// familyAddrs keeps the addresses of the lab's families, IPv4 first.
func familyAddrs(v4, v6 bool, addrs []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, want6 := range []bool{false, true} {
		for _, a := range addrs {
			if a.Is6() == want6 && ((want6 && v6) || (!want6 && v4)) {
				out = append(out, a)
			}
		}
	}
	return out
}
