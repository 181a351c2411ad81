package frr

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
)

// Summary is `show bgp summary json`: one entry per address family.
type Summary map[string]AFSummary // keys such as "ipv4Unicast", "ipv6Unicast"

// AFSummary is one address family of a BGP summary.
type AFSummary struct {
	RouterID string               `json:"routerId"`
	AS       uint32               `json:"as"`
	Peers    map[string]PeerState `json:"peers"`
}

// PeerState is one neighbour in a BGP summary. Dynamic neighbours (from
// bgp listen range) carry DynamicPeer.
type PeerState struct {
	RemoteAS     uint32 `json:"remoteAs"`
	State        string `json:"state"`
	PeerUptime   string `json:"peerUptime"`
	PfxRcd       int    `json:"pfxRcd"`
	PfxSnt       int    `json:"pfxSnt"`
	DynamicPeer  bool   `json:"dynamicPeer"`
	IDType       string `json:"idType"`
	Hostname     string `json:"hostname"`
	PeerUptimeMs int64  `json:"peerUptimeMsec"`
}

// ParseSummary parses vtysh's `show bgp summary json` (all families).
func ParseSummary(data []byte) (Summary, error) {
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("failed to parse `show bgp summary json`: %w", err)
	}
	return s, nil
}

// Peer is one neighbour across families.
type Peer struct {
	Address  string
	RemoteAS uint32
	State    string
	Families []string
}

// Peers merges the families' peers by address, sorted by address.
func (s Summary) Peers() []Peer {
	byAddr := map[string]*Peer{}
	fams := make([]string, 0, len(s))
	for f := range s {
		fams = append(fams, f)
	}
	sort.Strings(fams)
	for _, f := range fams {
		for addr, p := range s[f].Peers {
			pp, ok := byAddr[addr]
			if !ok {
				pp = &Peer{Address: addr, RemoteAS: p.RemoteAS, State: p.State}
				byAddr[addr] = pp
			}
			pp.Families = append(pp.Families, f)
		}
	}
	out := make([]Peer, 0, len(byAddr))
	for _, p := range byAddr {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// Established returns the addresses of the peers whose session is
// Established in any family, sorted.
func (s Summary) Established() []netip.Addr {
	var out []netip.Addr
	for _, p := range s.Peers() {
		if p.State != "Established" {
			continue
		}
		if a, err := netip.ParseAddr(p.Address); err == nil {
			out = append(out, a)
		}
	}
	return SortAddrs(out)
}
