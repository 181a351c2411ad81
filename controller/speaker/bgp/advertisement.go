package bgp

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Advertisement is one host route the speaker announces.
type Advertisement struct {
	// Prefix is a /32 or a /128.
	Prefix netip.Prefix
	// Communities are attached to the route, sorted and without duplicates
	// (see NewAdvertisement).
	Communities []Community
	// LocalPref is the LOCAL_PREF attribute; 0 leaves it unset. GoBGP sends
	// it to iBGP peers only.
	LocalPref uint32
	// Peers are the names of the peers the route goes to, sorted; empty
	// means every peer of the prefix's family.
	Peers []string
}

// NewAdvertisement returns the host route for addr with its attributes in
// canonical order, so that Equal compares what goes on the wire.
func NewAdvertisement(addr netip.Addr, communities []Community, localPref uint32, peers []string) Advertisement {
	addr = addr.Unmap()
	a := Advertisement{
		Prefix:      netip.PrefixFrom(addr, addr.BitLen()),
		Communities: slices.Compact(slices.SortedFunc(slices.Values(communities), compareCommunity)),
		LocalPref:   localPref,
		Peers:       slices.Compact(slices.Sorted(slices.Values(peers))),
	}
	if len(a.Communities) == 0 {
		a.Communities = nil
	}
	if len(a.Peers) == 0 {
		a.Peers = nil
	}
	return a
}

// Equal reports whether a and b announce the same route to the same peers.
func (a Advertisement) Equal(b Advertisement) bool {
	return a.Prefix == b.Prefix && a.LocalPref == b.LocalPref &&
		slices.Equal(a.Communities, b.Communities) && slices.Equal(a.Peers, b.Peers)
}

// To reports whether the advertisement goes to the named peer.
func (a Advertisement) To(peer string) bool {
	return len(a.Peers) == 0 || slices.Contains(a.Peers, peer)
}

func (a Advertisement) validate() error {
	if !a.Prefix.IsValid() || a.Prefix.Bits() != a.Prefix.Addr().BitLen() {
		return fmt.Errorf("advertisement prefix %s is not a host route (/32 or /128)", a.Prefix)
	}
	return nil
}

func (a Advertisement) String() string {
	var b strings.Builder
	b.WriteString(a.Prefix.String())
	for _, c := range a.Communities {
		b.WriteString(" community=" + c.String())
	}
	if a.LocalPref != 0 {
		fmt.Fprintf(&b, " localPref=%d", a.LocalPref)
	}
	if len(a.Peers) > 0 {
		b.WriteString(" peers=" + strings.Join(a.Peers, ","))
	}
	return b.String()
}
