package speaker

import (
	"fmt"
	"net/netip"
)

// CheckSourceAddrs says what is wrong with a set of source addresses
// (Config.SourceAddrs): each must be a unicast address without a zone,
// and there may be at most one IPv4 and one IPv6 address. IPv4-mapped
// IPv6 addresses count as IPv4.
func CheckSourceAddrs(addrs []netip.Addr) error {
	var seen [2]netip.Addr // IPv4, IPv6
	for _, a := range addrs {
		switch {
		case !a.IsValid():
			return fmt.Errorf("an empty source address: give an IPv4 or IPv6 address of this node")
		case a.Zone() != "":
			return fmt.Errorf("source address %s has a zone: give the address without %%%s", a, a.Zone())
		case a.IsUnspecified(), a.IsMulticast(), a.Unmap() == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			return fmt.Errorf("source address %s is not a unicast address: give an address of this node", a)
		}
		a = a.Unmap()
		i, family := 0, "IPv4"
		if a.Is6() {
			i, family = 1, "IPv6"
		}
		if seen[i].IsValid() {
			return fmt.Errorf("two %s source addresses, %s and %s: give at most one IPv4 and one IPv6 address", family, seen[i], a)
		}
		seen[i] = a
	}
	return nil
}

// sourceFor is the source address of a session to peer: the one of
// peer's family, or the zero Addr when there is none (the kernel then
// chooses from its route to peer). sources are unmapped.
func sourceFor(sources []netip.Addr, peer netip.Addr) netip.Addr {
	peer = peer.Unmap()
	for _, a := range sources {
		if a.Is4() == peer.Is4() {
			return a
		}
	}
	return netip.Addr{}
}

// sourceRouterID is the IPv4 source address, which is the router ID when
// given (two speakers on one node must not share one), or the zero Addr.
func sourceRouterID(sources []netip.Addr) netip.Addr {
	return sourceFor(sources, netip.IPv4Unspecified())
}
