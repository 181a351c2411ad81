package bgp

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/osrg/gobgp/v4/api"
)

// Peer is one BGP neighbour of the speaker.
type Peer struct {
	// Name identifies the peer (the BGPPeer's name); Advertisement.Peers
	// refers to it.
	Name string
	// Address is the neighbour's address. Its family is the family the
	// session carries: ipv4-unicast for IPv4, ipv6-unicast for IPv6.
	Address netip.Addr
	// Port is the neighbour's TCP port; 0 means 179.
	Port uint16
	// ASN is the neighbour's AS; LocalASN is ours on this session.
	ASN, LocalASN uint32
	// HoldTime and KeepaliveTime are proposed to the neighbour; 0 means
	// 90s and a third of the hold time.
	HoldTime, KeepaliveTime time.Duration
	// Password is the TCP MD5 password; empty means none.
	Password string
	// EBGPMultiHop lifts the TTL of 1 that eBGP sessions use otherwise.
	EBGPMultiHop bool
	// LocalAddress binds the session's source address, of Address's
	// family; it is the next hop the neighbour gets. Invalid means the
	// kernel chooses it from the route to Address.
	LocalAddress netip.Addr
	// BFD runs a BFD session with the neighbour beside the BGP session;
	// the zero value runs none.
	BFD BFDTimers
}

// Timers the speaker uses for every session: try to connect every few
// seconds rather than GoBGP's default two minutes, and wait 2 s after an
// administrative reset. After a session fails (hold timer, a TOR that went
// away) GoBGP v4 always idles 5 s before connecting again, whatever these
// say; repeer works around that.
const (
	connectRetry           = 5 // seconds
	idleHoldTimeAfterReset = 2 // seconds
)

func (p Peer) validate() error {
	switch {
	case p.Name == "":
		return fmt.Errorf("peer %s has no name", p.Address)
	case !p.Address.IsValid():
		return fmt.Errorf("peer %s has no address", p.Name)
	case p.ASN == 0 || p.LocalASN == 0:
		return fmt.Errorf("peer %s: ASN and local ASN must be set", p.Name)
	case p.HoldTime != 0 && p.HoldTime < 3*time.Second:
		return fmt.Errorf("peer %s: hold time %s is below 3s", p.Name, p.HoldTime)
	case p.HoldTime != 0 && p.KeepaliveTime >= p.HoldTime:
		return fmt.Errorf("peer %s: keepalive time %s is not below hold time %s", p.Name, p.KeepaliveTime, p.HoldTime)
	case p.LocalAddress.IsValid() && p.LocalAddress.Unmap().Is4() != p.Address.Unmap().Is4():
		return fmt.Errorf("peer %s: local address %s is not of the family of the peer's address %s; give one of the same family or none", p.Name, p.LocalAddress, p.Address)
	}
	return nil
}

// apiPeer is the GoBGP neighbour configuration of p.
func (p Peer) apiPeer() *api.Peer {
	afi := api.Family_AFI_IP
	if p.Address.Is6() {
		afi = api.Family_AFI_IP6
	}
	out := &api.Peer{
		Conf: &api.PeerConf{
			NeighborAddress: p.Address.String(),
			PeerAsn:         p.ASN,
			LocalAsn:        p.LocalASN,
			AuthPassword:    p.Password,
			Description:     p.Name,
		},
		Timers: &api.Timers{Config: &api.TimersConfig{
			ConnectRetry:           connectRetry,
			IdleHoldTimeAfterReset: idleHoldTimeAfterReset,
			HoldTime:               uint64(p.HoldTime / time.Second),
			KeepaliveInterval:      uint64(p.KeepaliveTime / time.Second),
		}},
		Transport: &api.Transport{RemotePort: uint32(p.Port)},
		AfiSafis: []*api.AfiSafi{{Config: &api.AfiSafiConfig{
			Family:  &api.Family{Afi: afi, Safi: api.Family_SAFI_UNICAST},
			Enabled: true,
		}}},
	}
	if p.LocalAddress.IsValid() {
		out.Transport.LocalAddress = p.LocalAddress.String()
	}
	if p.EBGPMultiHop {
		out.EbgpMultihop = &api.EbgpMultihop{Enabled: true, MultihopTtl: 255}
	}
	return out
}
