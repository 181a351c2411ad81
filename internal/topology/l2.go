package topology

import (
	"net/netip"
	"strings"

	"github.com/lblab/lblab/internal/netaddr"
)

// checkL2Pools checks the pools of a lab in mode l2: every address must
// sit in the node subnet of its family, where the owner answers ARP and
// NDP for it, and outside the addresses lblab hands out there (the TOR,
// the host and the nodes, host numbers 0 to nodes+9, and the IPv4
// broadcast address). It returns the overlaps it allows: a pool inside a
// node subnet.
func checkL2Pools(e *errs, n *Network, pools []subnet, nodes int) func(a, b subnet) bool {
	segments := map[bool]netip.Prefix{}
	for _, s := range []struct {
		v6    bool
		value string
	}{{false, n.IPv4Subnet}, {true, n.IPv6Subnet}} {
		if p, err := netip.ParsePrefix(s.value); err == nil && p.Addr().Is6() == s.v6 {
			segments[s.v6] = p.Masked()
		}
	}
	for _, pool := range pools {
		seg, ok := segments[pool.r.Is6()]
		if !ok {
			continue // no node subnet yet (a backend that assigns it), or reported already
		}
		field := "network.ipv4Subnet"
		if pool.r.Is6() {
			field = "network.ipv6Subnet"
		}
		segment := netaddr.PrefixRange(seg)
		if !segment.Contains(pool.r.From) || !segment.Contains(pool.r.To) {
			e.add(pool.path, "%s is outside %s (%s): in controller.mode l2 the owner answers ARP/NDP for LB IPs on the nodes' segment, so the pool must lie inside it", pool.r, field, seg)
			continue
		}
		taken := l2Taken(seg, nodes)
		if pool.r.Overlaps(taken) {
			e.add(pool.path, "%s overlaps %s, the addresses lblab gives the TOR, the host and the nodes in %s; pick addresses above them", pool.r, taken, field)
		}
		if !pool.r.Is6() && pool.r.Contains(netaddr.LastAddr(seg)) {
			e.add(pool.path, "%s holds %s, the broadcast address of %s", pool.r, netaddr.LastAddr(seg), field)
		}
	}
	return func(a, b subnet) bool {
		isSeg := func(s subnet) bool { return s.path == "network.ipv4Subnet" || s.path == "network.ipv6Subnet" }
		onSeg := func(s subnet) bool {
			return strings.HasPrefix(s.path, "controller.pools") || strings.HasPrefix(s.path, "controlPlane.ipv")
		}
		return isSeg(a) && onSeg(b) || onSeg(a) && isSeg(b)
	}
}

// l2Taken are the addresses lblab hands out in a node subnet: the TOR,
// the host and the nodes, host numbers 0 to nodes+9.
func l2Taken(seg netip.Prefix, nodes int) netaddr.Range {
	last, _ := netaddr.Nth(seg, uint64(nodes+9))
	return netaddr.Range{From: seg.Addr(), To: last}
}

// nodeSubnet is the node subnet of a family as written, "" if unset.
func nodeSubnet(n *Network, v6 bool) string {
	if v6 {
		return n.IPv6Subnet
	}
	return n.IPv4Subnet
}

// checkL2VIP checks an API server VIP in controller.mode l2: one
// control-plane node answers ARP/NDP for it on the nodes' segment, so it
// must be a free address of the node subnet of its family. (Overlaps with
// the pools are checkOverlaps' to report.)
func checkL2VIP(e *errs, path string, vip netip.Addr, n *Network, nodes int) {
	field := map[bool]string{false: "network.ipv4Subnet", true: "network.ipv6Subnet"}[vip.Is6()]
	seg, err := netip.ParsePrefix(nodeSubnet(n, vip.Is6()))
	if err != nil {
		return // no node subnet yet, or reported already
	}
	seg = seg.Masked()
	switch {
	case !seg.Contains(vip):
		e.add(path, "%s is outside %s (%s): in controller.mode l2 a control-plane node answers ARP/NDP for the VIP on the nodes' segment, so it must lie inside it (the default is host number %d of it)", vip, field, seg, l2VIPHostNum)
	case l2Taken(seg, nodes).Contains(vip):
		e.add(path, "%s is among %s, the addresses lblab gives the TOR, the host and the nodes in %s; pick one above them", vip, l2Taken(seg, nodes), field)
	case vip.Is4() && vip == netaddr.LastAddr(seg):
		e.add(path, "%s is the broadcast address of %s", vip, field)
	}
}

// L2 default pool: host numbers 192-207 of each node subnet (IPv4 /28,
// IPv6 /124), above the TOR, the host and the nodes.
const (
	l2PoolFirst  = 192
	l2PoolBitsV4 = 28
	l2PoolBitsV6 = 124
)

// l2DefaultPools is the default pool of a lab in mode l2, carved from
// its node subnets; none while a backend has yet to choose them (it sets
// the defaults again once it has).
func l2DefaultPools(n *Network) []Pool {
	p := Pool{Name: "default"}
	add := func(value string, bits int) {
		seg, err := netip.ParsePrefix(value)
		if err != nil {
			return
		}
		if a, ok := netaddr.Nth(seg.Masked(), l2PoolFirst); ok && seg.Bits() <= bits {
			p.Addresses = append(p.Addresses, netip.PrefixFrom(a, bits).String())
		}
	}
	if n.IPFamily.HasV4() {
		add(n.IPv4Subnet, l2PoolBitsV4)
	}
	if n.IPFamily.HasV6() {
		add(n.IPv6Subnet, l2PoolBitsV6)
	}
	if len(p.Addresses) == 0 {
		return nil
	}
	return []Pool{p}
}
