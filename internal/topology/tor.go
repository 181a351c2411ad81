package topology

import (
	"crypto/sha256"
	"net/netip"
)

// RouterID is the TOR's BGP router ID: tor.routerID when set, else the
// first IPv4 address of own (the TOR's addresses, when the backend knows
// them before FRR starts), else one derived from the lab's name in
// 10.255.0.0/16. A router ID is an IPv4 address even on IPv6-only labs.
func (t *Topology) RouterID(own ...netip.Addr) netip.Addr {
	if a, err := netip.ParseAddr(t.TOR.RouterID); err == nil {
		return a
	}
	for _, a := range own {
		if a.Is4() {
			return a
		}
	}
	sum := sha256.Sum256([]byte(t.Name))
	return netip.AddrFrom4([4]byte{10, 255, sum[0], sum[1] | 1})
}
