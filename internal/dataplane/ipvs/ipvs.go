package ipvs

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/lblab/lblab/internal/dataplane"
)

// VirtualServer is one IPVS service.
type VirtualServer struct {
	Address   netip.Addr `json:"address"`
	Protocol  string     `json:"protocol"` // tcp, udp, sctp
	Port      uint16     `json:"port"`
	FWMark    uint32     `json:"fwmark,omitempty"`
	Scheduler string     `json:"scheduler"`
	// Persistent is the persistence timeout in seconds (session affinity).
	Persistent  uint32       `json:"persistent,omitempty"`
	Stats       Stats        `json:"stats"`
	RealServers []RealServer `json:"realServers"`
}

// RealServer is one destination of a virtual server.
type RealServer struct {
	Address       netip.AddrPort `json:"address"`
	Forward       string         `json:"forward"` // Masq, Local, Tunnel, Route
	Weight        int            `json:"weight"`
	ActiveConns   int            `json:"activeConns"`
	InactiveConns int            `json:"inactiveConns"`
	Stats         Stats          `json:"stats"`
}

// Stats are IPVS counters, as `ipvsadm -Ln --stats` shows them.
type Stats struct {
	Conns    uint64 `json:"conns"`
	InPkts   uint64 `json:"inPkts"`
	OutPkts  uint64 `json:"outPkts"`
	InBytes  uint64 `json:"inBytes"`
	OutBytes uint64 `json:"outBytes"`
}

// Dump is what `lblab probe ipvs` prints from inside a node.
type Dump struct {
	// Available is false when the kernel has no IP_VS; Reason says why.
	Available      bool            `json:"available"`
	Reason         string          `json:"reason,omitempty"`
	VirtualServers []VirtualServer `json:"virtualServers"`
}

// ParseDump parses the JSON of `lblab probe ipvs`.
func ParseDump(data []byte) (*Dump, error) {
	var d Dump
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("failed to parse IPVS dump: %w", err)
	}
	return &d, nil
}

// Sort orders virtual servers by address, protocol and port, and their real
// servers by address.
func (d *Dump) Sort() {
	sort.Slice(d.VirtualServers, func(i, j int) bool {
		a, b := d.VirtualServers[i], d.VirtualServers[j]
		if a.Address != b.Address {
			return a.Address.Less(b.Address)
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		return a.Port < b.Port
	})
	for _, vs := range d.VirtualServers {
		sort.Slice(vs.RealServers, func(i, j int) bool { return vs.RealServers[i].Address.Compare(vs.RealServers[j].Address) < 0 })
	}
}

// Lookup returns the virtual server for addr:port/proto.
func (d *Dump) Lookup(addr netip.Addr, proto string, port uint16) (*VirtualServer, bool) {
	proto = strings.ToLower(proto)
	for i, vs := range d.VirtualServers {
		if vs.Address == addr && vs.Protocol == proto && vs.Port == port {
			return &d.VirtualServers[i], true
		}
	}
	return nil, false
}

// Frontend is the mode-independent view of a virtual server, with what
// the node's LB sets of its family (sets) do with traffic from outside:
// the sources they let in (SourceRanges; every source when the address is
// not in KUBE-LOAD-BALANCER-FW), and Drop when it is filtered and nothing
// is let in.
func (vs *VirtualServer) Frontend(sets LBSets) dataplane.Frontend {
	f := dataplane.Frontend{Address: vs.Address, Port: vs.Port, Protocol: vs.Protocol, Backends: []netip.AddrPort{}}
	f.Rules = append(f.Rules, fmt.Sprintf("%s %s %s (conns %d, in %d pkts / %d B)", strings.ToUpper(vs.Protocol),
		netip.AddrPortFrom(vs.Address, vs.Port), vs.Scheduler, vs.Stats.Conns, vs.Stats.InPkts, vs.Stats.InBytes))
	for _, rs := range vs.RealServers {
		if rs.Weight > 0 {
			f.Backends = append(f.Backends, rs.Address)
		}
		f.Rules = append(f.Rules, fmt.Sprintf("  -> %s %s weight %d active %d inactive %d (conns %d)",
			rs.Address, rs.Forward, rs.Weight, rs.ActiveConns, rs.InactiveConns, rs.Stats.Conns))
	}
	a := sets.Access(vs.Address, vs.Protocol, vs.Port)
	f.Rules = append(f.Rules, a.lines(sets, vs.Address, vs.Protocol, vs.Port)...)
	if allowed, filtered := a.Allowed(vs.Address); filtered {
		f.SourceRanges, f.Drop = allowed, len(allowed) == 0
	}
	dataplane.SortAddrPorts(f.Backends)
	return f
}
