package frr

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// RIB is `show bgp ipv4 unicast json` or `show bgp ipv6 unicast json`:
// the TOR's BGP table of one address family.
type RIB struct {
	RouterID string `json:"routerId"`
	LocalAS  uint32 `json:"localAS"`
	// Routes holds every prefix with all its paths, sorted by prefix.
	Routes []Route `json:"routes"`
}

// Route is one prefix and the paths learned for it.
type Route struct {
	Prefix netip.Prefix `json:"prefix"`
	Paths  []Path       `json:"paths"`
}

// Path is one BGP path for a prefix.
type Path struct {
	Valid     bool   `json:"valid"`
	Bestpath  bool   `json:"bestpath,omitempty"`
	Multipath bool   `json:"multipath,omitempty"`
	PathFrom  string `json:"pathFrom,omitempty"` // "external" or "internal"
	PeerID    string `json:"peerId,omitempty"`   // the neighbour the path came from
	// ASPath is the AS path as numbers (AS_SETs are flattened).
	ASPath   []uint32      `json:"asPath"`
	Origin   string        `json:"origin,omitempty"`
	Nexthops []PathNexthop `json:"nexthops"`
}

// PathNexthop is one next hop of a path. IPv6 paths often carry a global and
// a link-local next hop; Used says which one zebra installed.
type PathNexthop struct {
	IP       netip.Addr `json:"ip"`
	Hostname string     `json:"hostname,omitempty"`
	Scope    string     `json:"scope,omitempty"` // "global" or "link-local" (IPv6)
	Used     bool       `json:"used"`
}

// Selected reports whether zebra installs the path: the best path and its
// multipath siblings.
func (p Path) Selected() bool { return p.Valid && (p.Bestpath || p.Multipath) }

// Nexthop returns the path's forwarding next hop: the one marked used, else
// the first global one.
func (p Path) Nexthop() (netip.Addr, bool) {
	for _, nh := range p.Nexthops {
		if nh.Used {
			return nh.IP, true
		}
	}
	for _, nh := range p.Nexthops {
		if nh.Scope != "link-local" && !nh.IP.IsLinkLocalUnicast() {
			return nh.IP, true
		}
	}
	return netip.Addr{}, false
}

// SelectedNexthops returns the sorted, distinct next hops of the route's
// selected paths: what the TOR will spread traffic over.
func (r Route) SelectedNexthops() []netip.Addr {
	var out []netip.Addr
	for _, p := range r.Paths {
		if !p.Selected() {
			continue
		}
		if nh, ok := p.Nexthop(); ok {
			out = append(out, nh)
		}
	}
	return SortAddrs(out)
}

// Lookup returns the route for prefix p.
func (r *RIB) Lookup(p netip.Prefix) (Route, bool) {
	for _, rt := range r.Routes {
		if rt.Prefix == p {
			return rt, true
		}
	}
	return Route{}, false
}

// frrRIB is FRR's JSON shape: routes keyed by prefix.
type frrRIB struct {
	RouterID string               `json:"routerId"`
	LocalAS  uint32               `json:"localAS"`
	Routes   map[string][]frrPath `json:"routes"`
}

type frrPath struct {
	Valid     bool   `json:"valid"`
	Bestpath  bool   `json:"bestpath"`
	Multipath bool   `json:"multipath"`
	PathFrom  string `json:"pathFrom"`
	PeerID    string `json:"peerId"`
	Path      string `json:"path"` // "64500 64501" or "" for local routes
	Origin    string `json:"origin"`
	Nexthops  []struct {
		IP       string `json:"ip"`
		Hostname string `json:"hostname"`
		Scope    string `json:"scope"`
		Used     bool   `json:"used"`
	} `json:"nexthops"`
}

// ParseRIB parses `show bgp ipv4|ipv6 unicast json`. An empty table (FRR
// prints `{}` when BGP has no routes or is not configured) gives an empty RIB.
func ParseRIB(data []byte) (*RIB, error) {
	var raw frrRIB
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("failed to parse `show bgp unicast json`: %w", err)
	}
	rib := &RIB{RouterID: raw.RouterID, LocalAS: raw.LocalAS}
	for key, paths := range raw.Routes {
		pfx, err := netip.ParsePrefix(key)
		if err != nil {
			return nil, fmt.Errorf("failed to parse BGP route %q: %w", key, err)
		}
		rt := Route{Prefix: pfx}
		for _, fp := range paths {
			p, err := convertPath(fp)
			if err != nil {
				return nil, fmt.Errorf("route %s: %w", key, err)
			}
			rt.Paths = append(rt.Paths, p)
		}
		sort.SliceStable(rt.Paths, func(i, j int) bool { return rt.Paths[i].PeerID < rt.Paths[j].PeerID })
		rib.Routes = append(rib.Routes, rt)
	}
	sort.Slice(rib.Routes, func(i, j int) bool { return prefixLess(rib.Routes[i].Prefix, rib.Routes[j].Prefix) })
	return rib, nil
}

func convertPath(fp frrPath) (Path, error) {
	p := Path{Valid: fp.Valid, Bestpath: fp.Bestpath, Multipath: fp.Multipath, PathFrom: fp.PathFrom,
		PeerID: fp.PeerID, Origin: fp.Origin, ASPath: []uint32{}}
	for _, f := range strings.Fields(strings.NewReplacer("{", " ", "}", " ", ",", " ").Replace(fp.Path)) {
		as, err := strconv.ParseUint(f, 10, 32)
		if err != nil {
			return Path{}, fmt.Errorf("failed to parse AS path %q: %w", fp.Path, err)
		}
		p.ASPath = append(p.ASPath, uint32(as))
	}
	for _, nh := range fp.Nexthops {
		a, err := netip.ParseAddr(nh.IP)
		if err != nil {
			return Path{}, fmt.Errorf("failed to parse next hop %q: %w", nh.IP, err)
		}
		p.Nexthops = append(p.Nexthops, PathNexthop{IP: a, Hostname: nh.Hostname, Scope: nh.Scope, Used: nh.Used})
	}
	return p, nil
}

// SortAddrs sorts addresses in place (IPv4 before IPv6) and drops duplicates.
func SortAddrs(a []netip.Addr) []netip.Addr {
	sort.Slice(a, func(i, j int) bool { return a[i].Less(a[j]) })
	out := a[:0]
	for i, x := range a {
		if i == 0 || x != a[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func prefixLess(a, b netip.Prefix) bool {
	if a.Addr() != b.Addr() {
		return a.Addr().Less(b.Addr())
	}
	return a.Bits() < b.Bits()
}
