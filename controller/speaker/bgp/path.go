package bgp

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
)

// family is the GoBGP address family of a prefix or peer address.
func family(a netip.Addr) bgp.Family {
	if a.Is4() {
		return bgp.RF_IPv4_UC
	}
	return bgp.RF_IPv6_UC
}

// path turns an advertisement into a locally originated GoBGP path. The
// next hop is unspecified (0.0.0.0 or ::): GoBGP then sends the session's
// local address, which is next-hop self on every session.
func (a Advertisement) path() (*apiutil.Path, error) {
	nlri, err := bgp.NewIPAddrPrefix(a.Prefix)
	if err != nil {
		return nil, fmt.Errorf("failed to build NLRI for %s: %w", a.Prefix, err)
	}
	f := family(a.Prefix.Addr())
	attrs := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP)}
	if f == bgp.RF_IPv4_UC {
		nh, err := bgp.NewPathAttributeNextHop(netip.IPv4Unspecified())
		if err != nil {
			return nil, fmt.Errorf("failed to build next hop: %w", err)
		}
		attrs = append(attrs, nh)
	} else {
		mp, err := bgp.NewPathAttributeMpReachNLRI(f, []bgp.PathNLRI{{NLRI: nlri}}, netip.IPv6Unspecified())
		if err != nil {
			return nil, fmt.Errorf("failed to build MP_REACH_NLRI for %s: %w", a.Prefix, err)
		}
		attrs = append(attrs, mp)
	}
	if a.LocalPref != 0 {
		attrs = append(attrs, bgp.NewPathAttributeLocalPref(a.LocalPref))
	}
	var std []uint32
	var large []*bgp.LargeCommunity
	for _, c := range a.Communities {
		if c.Large {
			large = append(large, bgp.NewLargeCommunity(c.A, c.B, c.C))
		} else {
			std = append(std, c.standard())
		}
	}
	if len(std) > 0 {
		attrs = append(attrs, bgp.NewPathAttributeCommunities(std))
	}
	if len(large) > 0 {
		attrs = append(attrs, bgp.NewPathAttributeLargeCommunities(large))
	}
	return &apiutil.Path{Family: f, Nlri: nlri, Attrs: attrs, Age: time.Now().Unix()}, nil
}

// withdrawal is the path that withdraws a prefix.
func withdrawal(p netip.Prefix) (*apiutil.Path, error) {
	nlri, err := bgp.NewIPAddrPrefix(p)
	if err != nil {
		return nil, fmt.Errorf("failed to build NLRI for %s: %w", p, err)
	}
	return &apiutil.Path{Family: family(p.Addr()), Nlri: nlri, Withdrawal: true}, nil
}
