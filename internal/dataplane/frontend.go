package dataplane

import (
	"net/netip"
	"sort"
)

// Frontend is what one data plane does with traffic to an IP:port on one
// node, reduced to what every mode shares.
type Frontend struct {
	Address  netip.Addr `json:"address"`
	Port     uint16     `json:"port"`
	Protocol string     `json:"protocol"` // lower case: tcp, udp, sctp; "" when the data plane does not say
	// Service is "namespace/name:port" when the data plane records it.
	Service string `json:"service,omitempty"`
	// Backends are the endpoints traffic from outside is spread over.
	Backends []netip.AddrPort `json:"backends"`
	// SourceRanges are the client prefixes allowed in; empty means all.
	SourceRanges []netip.Prefix `json:"sourceRanges,omitempty"`
	// Drop is true when the node drops external traffic to this frontend
	// (ETP=Local without a local endpoint, or no endpoints at all).
	Drop bool `json:"drop,omitempty"`
	// Rules are the node's rules or entries behind this view, in order, as
	// short text for evidence.
	Rules []string `json:"rules,omitempty"`
}

// SortAddrPorts sorts address:port pairs in place and returns them.
func SortAddrPorts(a []netip.AddrPort) []netip.AddrPort {
	sort.Slice(a, func(i, j int) bool { return a[i].Compare(a[j]) < 0 })
	return a
}
