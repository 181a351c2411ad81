package frr

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// Neighbor is one entry of `show bgp neighbors json`, reduced to what
// lblab's checks read: state, AS numbers, negotiated timers and counters.
type Neighbor struct {
	Address      netip.Addr    `json:"address"`
	RemoteAS     uint32        `json:"remoteAs"`
	LocalAS      uint32        `json:"localAs"`
	Hostname     string        `json:"hostname,omitempty"`
	PeerGroup    string        `json:"peerGroup,omitempty"`
	RemoteRouter string        `json:"remoteRouterId,omitempty"`
	State        string        `json:"state"`
	Uptime       time.Duration `json:"uptime"`
	// HoldTime and KeepaliveTime are the negotiated timers, or the
	// configured ones while the session is not Established (FRR then
	// prints only those).
	HoldTime      time.Duration `json:"holdTime"`
	KeepaliveTime time.Duration `json:"keepaliveTime"`
	UpdatesRecv   int           `json:"updatesRecv"`
	UpdatesSent   int           `json:"updatesSent"`
	// AcceptedPrefixes is per address family (ipv4Unicast, ipv6Unicast).
	AcceptedPrefixes map[string]int `json:"acceptedPrefixes,omitempty"`
}

type frrNeighbor struct {
	RemoteAS         uint32 `json:"remoteAs"`
	LocalAS          uint32 `json:"localAs"`
	Hostname         string `json:"hostname"`
	PeerGroup        string `json:"peerGroup"`
	RemoteRouterID   string `json:"remoteRouterId"`
	BGPState         string `json:"bgpState"`
	UpMsec           int64  `json:"bgpTimerUpMsec"`
	HoldTimeMsecs    int64  `json:"bgpTimerHoldTimeMsecs"`
	KeepAliveMsecs   int64  `json:"bgpTimerKeepAliveIntervalMsecs"`
	ConfiguredHoldMs int64  `json:"bgpTimerConfiguredHoldTimeMsecs"`
	ConfiguredKeepMs int64  `json:"bgpTimerConfiguredKeepAliveIntervalMsecs"`
	MessageStats     struct {
		UpdatesSent int `json:"updatesSent"`
		UpdatesRecv int `json:"updatesRecv"`
	} `json:"messageStats"`
	AddressFamilyInfo map[string]struct {
		AcceptedPrefixCounter int `json:"acceptedPrefixCounter"`
	} `json:"addressFamilyInfo"`
}

// ParseNeighbors parses `show bgp neighbors json`, sorted by address.
// Entries that are not neighbour addresses (peer-group names) are skipped.
func ParseNeighbors(data []byte) ([]Neighbor, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("failed to parse `show bgp neighbors json`: %w", err)
	}
	var out []Neighbor
	for key, msg := range raw {
		addr, err := netip.ParseAddr(key)
		if err != nil {
			continue
		}
		var n frrNeighbor
		if err := json.Unmarshal(msg, &n); err != nil {
			return nil, fmt.Errorf("failed to parse neighbour %s: %w", key, err)
		}
		hold, keep := n.HoldTimeMsecs, n.KeepAliveMsecs
		if hold == 0 { // not established: FRR reports only the configured timers
			hold, keep = n.ConfiguredHoldMs, n.ConfiguredKeepMs
		}
		nb := Neighbor{Address: addr, RemoteAS: n.RemoteAS, LocalAS: n.LocalAS, Hostname: n.Hostname,
			PeerGroup: n.PeerGroup, RemoteRouter: n.RemoteRouterID, State: n.BGPState,
			Uptime: time.Duration(n.UpMsec) * time.Millisecond, HoldTime: time.Duration(hold) * time.Millisecond,
			KeepaliveTime: time.Duration(keep) * time.Millisecond,
			UpdatesRecv:   n.MessageStats.UpdatesRecv, UpdatesSent: n.MessageStats.UpdatesSent}
		for af, info := range n.AddressFamilyInfo {
			if nb.AcceptedPrefixes == nil {
				nb.AcceptedPrefixes = map[string]int{}
			}
			nb.AcceptedPrefixes[af] = info.AcceptedPrefixCounter
		}
		out = append(out, nb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address.Less(out[j].Address) })
	return out, nil
}
