package netns

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

// Automatic node subnets: slot n is 10.89.n.0/24 and fd00:89:n::/64.
const maxSlots = 256

func slotV4(n int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 89, byte(n), 0}), 24)
}

func slotV6(n int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfd, 0x00, 0x00, 0x89, 0x00, byte(n)}), 64)
}

// inUse is an address block already taken on this machine, and by what.
type inUse struct {
	prefix netip.Prefix
	what   string
}

// chooseSubnets fills the topology's empty node subnets with a free slot,
// and checks given ones, against the machine's routes and other labs.
func chooseSubnets(t *topology.Topology, used []inUse) error {
	n := &t.Network
	check := func(field, value string) error {
		p, err := netip.ParsePrefix(value)
		if err != nil {
			return fmt.Errorf("network.%s: %s is not a valid prefix", field, value)
		}
		if u, ok := collides(p, used); ok {
			return fmt.Errorf("network.%s: %s overlaps %s (%s); choose another subnet, or leave it empty and lblab picks a free one",
				field, p, u.prefix, u.what)
		}
		return nil
	}
	if n.IPv4Subnet != "" {
		if err := check("ipv4Subnet", n.IPv4Subnet); err != nil {
			return err
		}
	}
	if n.IPv6Subnet != "" {
		if err := check("ipv6Subnet", n.IPv6Subnet); err != nil {
			return err
		}
	}
	needV4 := n.IPFamily.HasV4() && n.IPv4Subnet == ""
	needV6 := n.IPFamily.HasV6() && n.IPv6Subnet == ""
	if !needV4 && !needV6 {
		return nil
	}
	for slot := 0; slot < maxSlots; slot++ {
		if needV4 {
			if _, taken := collides(slotV4(slot), used); taken {
				continue
			}
		}
		if needV6 {
			if _, taken := collides(slotV6(slot), used); taken {
				continue
			}
		}
		if needV4 {
			n.IPv4Subnet = slotV4(slot).String()
		}
		if needV6 {
			n.IPv6Subnet = slotV6(slot).String()
		}
		return nil
	}
	return fmt.Errorf("no free node subnet in 10.89.0.0/16 or fd00:89::/48; run `lblab down` on labs you no longer need, or set network.ipv4Subnet/ipv6Subnet")
}

func collides(p netip.Prefix, used []inUse) (inUse, bool) {
	r := netaddr.PrefixRange(p)
	for _, u := range used {
		if r.Overlaps(netaddr.PrefixRange(u.prefix)) {
			return u, true
		}
	}
	return inUse{}, false
}

// usedByOthers returns the node subnets of every other lab with state.
func usedByOthers(self string) ([]inUse, error) {
	states, err := lab.ListStates()
	if err != nil {
		return nil, err
	}
	var out []inUse
	for _, s := range states {
		if s.Name == self {
			continue
		}
		t, err := lab.LoadTopology(s.Name)
		if err != nil {
			continue
		}
		for _, p := range t.Network.Prefixes() {
			out = append(out, inUse{prefix: p, what: "lab " + s.Name})
		}
	}
	return out, nil
}

// usedByHost returns the machine's routes and addresses, except those on
// the lab's own management link (when converging an existing lab).
func usedByHost(ownLink string) ([]inUse, error) {
	var out []inUse
	routes, err := netlink.RouteList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("failed to list the machine's routes: %w", err)
	}
	links := map[int]string{}
	if ls, err := netlink.LinkList(); err == nil {
		for _, l := range ls {
			links[l.Attrs().Index] = l.Attrs().Name
		}
	}
	for _, r := range routes {
		if r.Dst == nil || links[r.LinkIndex] == ownLink {
			continue // default routes do not block a subnet
		}
		p, err := netip.ParsePrefix(r.Dst.String())
		if err != nil || p.Bits() == 0 || p.Addr().IsLinkLocalUnicast() || p.Addr().IsMulticast() {
			continue
		}
		p = p.Masked()
		out = append(out, inUse{prefix: p, what: fmt.Sprintf("the machine's route %s dev %s", p, links[r.LinkIndex])})
	}
	return out, nil
}
