package cilium

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/lblab/lblab/internal/dataplane"
)

// Frontend is one service frontend of the BPF LB map.
type Frontend struct {
	Address  netip.Addr `json:"address"`
	Port     uint16     `json:"port"`
	Protocol string     `json:"protocol,omitempty"` // lower case; empty in older Cilium
	// Internal is the "/i" scope of a two-scope service (ETP=Local):
	// traffic from inside the cluster. External traffic uses the other.
	Internal bool `json:"internal,omitempty"`
	RevNAT   int  `json:"revNAT"`
	// Flags are ServiceFlags as Cilium prints them: LoadBalancer, Local,
	// two-scopes, check source-range, ...
	Flags    []string  `json:"flags"`
	Backends []Backend `json:"backends"`
	// Missing lists "backend N not found" entries (dangling backend IDs).
	Missing []string `json:"missing,omitempty"`
}

// Backend is one backend slot.
type Backend struct {
	Address netip.AddrPort `json:"address"`
	Slot    int            `json:"slot"`
}

var (
	keyRe     = regexp.MustCompile(`^(\[[^\]]+\]|[^:\s]+):(\d+)(?:/([A-Za-z]+))?(/i)?(?: \((\d+)\))?$`)
	masterRe  = regexp.MustCompile(`^(?:\[::\]|0\.0\.0\.0):0 \((\d+)\) \(0\) \[([^\]]*)\]`)
	backendRe = regexp.MustCompile(`^(\[[^\]]+\]|[^:\s]+):(\d+)(?:/[A-Za-z]+)? \((\d+)\) \((\d+)\)$`)
)

// Parse parses `cilium-dbg bpf lb list -o json`. Frontends are sorted by
// address, port and scope; entries of one frontend spread over several keys
// (older Cilium printed one key per slot) are merged.
func Parse(data []byte) ([]Frontend, error) {
	var raw map[string][]string
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("failed to parse `cilium-dbg bpf lb list -o json`: %w", err)
	}
	byKey := map[string]*Frontend{}
	for key, entries := range raw {
		m := keyRe.FindStringSubmatch(key)
		if m == nil {
			return nil, fmt.Errorf("failed to parse BPF LB frontend %q", key)
		}
		addr, err := netip.ParseAddr(strings.Trim(m[1], "[]"))
		if err != nil {
			return nil, fmt.Errorf("failed to parse BPF LB frontend %q: %w", key, err)
		}
		port, _ := strconv.ParseUint(m[2], 10, 16)
		fe := Frontend{Address: addr, Port: uint16(port), Protocol: strings.ToLower(m[3]), Internal: m[4] != ""}
		id := fmt.Sprintf("%s|%d|%s|%v", addr, port, fe.Protocol, fe.Internal)
		f, ok := byKey[id]
		if !ok {
			fe.Flags, fe.Backends = []string{}, []Backend{}
			f = &fe
			byKey[id] = f
		}
		for _, e := range entries {
			if err := f.addEntry(strings.TrimSpace(e)); err != nil {
				return nil, fmt.Errorf("frontend %q: %w", key, err)
			}
		}
	}
	out := make([]Frontend, 0, len(byKey))
	for _, f := range byKey {
		sort.Slice(f.Backends, func(i, j int) bool { return f.Backends[i].Slot < f.Backends[j].Slot })
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Address != b.Address {
			return a.Address.Less(b.Address)
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		return !a.Internal && b.Internal
	})
	return out, nil
}

func (f *Frontend) addEntry(e string) error {
	if m := masterRe.FindStringSubmatch(e); m != nil {
		f.RevNAT, _ = strconv.Atoi(m[1])
		for _, fl := range strings.Split(m[2], ",") {
			if fl = strings.TrimSpace(fl); fl != "" {
				f.Flags = append(f.Flags, fl)
			}
		}
		return nil
	}
	if strings.HasPrefix(e, "backend ") && strings.HasSuffix(e, " not found") {
		f.Missing = append(f.Missing, e)
		return nil
	}
	m := backendRe.FindStringSubmatch(e)
	if m == nil {
		return fmt.Errorf("failed to parse backend entry %q", e)
	}
	a, err := netip.ParseAddr(strings.Trim(m[1], "[]"))
	if err != nil {
		return fmt.Errorf("failed to parse backend entry %q: %w", e, err)
	}
	port, _ := strconv.ParseUint(m[2], 10, 16)
	f.RevNAT, _ = strconv.Atoi(m[3])
	slot, _ := strconv.Atoi(m[4])
	f.Backends = append(f.Backends, Backend{Address: netip.AddrPortFrom(a, uint16(port)), Slot: slot})
	return nil
}

// Lookup returns the external-scope frontend for addr:port/proto.
func Lookup(fes []Frontend, addr netip.Addr, proto string, port uint16) (*Frontend, bool) {
	proto = strings.ToLower(proto)
	for i, f := range fes {
		if f.Address == addr && f.Port == port && !f.Internal && (f.Protocol == "" || f.Protocol == proto) {
			return &fes[i], true
		}
	}
	return nil, false
}

// Frontend is the mode-independent view, with the sources the frontend
// lets in from ranges (the node's source-range maps; nil when not read).
// Its protocol stays empty when this Cilium does not print one (the
// frontend then matches any).
func (f *Frontend) Frontend(ranges SourceRanges) dataplane.Frontend {
	out := dataplane.Frontend{Address: f.Address, Port: f.Port, Protocol: f.Protocol, Backends: []netip.AddrPort{}}
	out.Rules = append(out.Rules, fmt.Sprintf("%s (revnat %d) [%s]", netip.AddrPortFrom(f.Address, f.Port), f.RevNAT, strings.Join(f.Flags, ", ")))
	for _, b := range f.Backends {
		out.Backends = append(out.Backends, b.Address)
		out.Rules = append(out.Rules, fmt.Sprintf("  slot %d -> %s", b.Slot, b.Address))
	}
	out.Rules = append(out.Rules, f.Missing...)
	allowed, checked, rules := f.allowed(ranges)
	out.Rules = append(out.Rules, rules...)
	if checked {
		out.SourceRanges, out.Drop = allowed, len(allowed) == 0
	}
	dataplane.SortAddrPorts(out.Backends)
	return out
}
