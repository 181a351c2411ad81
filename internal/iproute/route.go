package iproute

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Route is one kernel route.
type Route struct {
	// Dst is the destination prefix; "default" becomes 0.0.0.0/0 or ::/0.
	Dst      netip.Prefix `json:"dst"`
	Protocol string       `json:"protocol,omitempty"` // "bgp", "kernel", ... (absent when filtered by proto)
	Metric   int          `json:"metric,omitempty"`
	Dev      string       `json:"dev,omitempty"`
	// Nexthops lists every gateway the route spreads over (one for a
	// single-path route; none for a directly connected one).
	Nexthops []Nexthop `json:"nexthops"`
}

// Nexthop is one gateway of a route.
type Nexthop struct {
	Gateway netip.Addr `json:"gateway"`
	Dev     string     `json:"dev,omitempty"`
	// Weight is the multipath weight ip printed; 0 for a single-path
	// route, which has none.
	Weight int `json:"weight,omitempty"`
	// Flags are the next hop's flags as ip prints them: "onlink", and
	// "dead" or "linkdown" for one the kernel does not forward over.
	Flags []string `json:"flags,omitempty"`
}

// Multipath reports whether the route spreads over more than one next hop.
func (r Route) Multipath() bool { return len(r.Nexthops) > 1 }

// Unusable returns the next hops flagged dead or linkdown, as "GATEWAY
// (flag)": installed, but not forwarded over.
func (r Route) Unusable() []string {
	var out []string
	for _, nh := range r.Nexthops {
		for _, f := range nh.Flags {
			if f == "dead" || f == "linkdown" {
				out = append(out, fmt.Sprintf("%s (%s)", nh.Gateway, f))
			}
		}
	}
	return out
}

// Gateways returns the route's next-hop addresses, sorted.
func (r Route) Gateways() []netip.Addr {
	out := make([]netip.Addr, 0, len(r.Nexthops))
	for _, nh := range r.Nexthops {
		out = append(out, nh.Gateway)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

type rawNexthop struct {
	Gateway string `json:"gateway"`
	Via     *struct {
		Family string `json:"family"`
		Host   string `json:"host"`
	} `json:"via"` // IPv4 routes with IPv6 next hops (RFC 5549)
	Dev    string   `json:"dev"`
	Weight int      `json:"weight"`
	Flags  []string `json:"flags"`
}

type rawRoute struct {
	Dst      string `json:"dst"`
	Protocol string `json:"protocol"`
	Metric   int    `json:"metric"`
	rawNexthop
	Nexthops []rawNexthop `json:"nexthops"`
}

// Parse parses `ip -j route show` (either family). Host routes, which the
// kernel prints without a length ("198.51.100.7"), become /32 or /128.
func Parse(data []byte) ([]Route, error) {
	var raws []rawRoute
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, fmt.Errorf("failed to parse `ip -j route`: %w", err)
	}
	out := make([]Route, 0, len(raws))
	for _, r := range raws {
		rt := Route{Protocol: r.Protocol, Metric: r.Metric, Dev: r.Dev}
		dst, err := parseDst(r.Dst, r)
		if err != nil {
			return nil, err
		}
		rt.Dst = dst
		nhs := r.Nexthops
		if len(nhs) == 0 && (r.Gateway != "" || r.Via != nil) {
			nhs = []rawNexthop{r.rawNexthop}
		}
		for _, nh := range nhs {
			gw := nh.Gateway
			if nh.Via != nil {
				gw = nh.Via.Host
			}
			a, err := netip.ParseAddr(gw)
			if err != nil {
				return nil, fmt.Errorf("failed to parse gateway %q of route %s: %w", gw, r.Dst, err)
			}
			var flags []string
			if len(nh.Flags) > 0 {
				flags = nh.Flags
			}
			rt.Nexthops = append(rt.Nexthops, Nexthop{Gateway: a, Dev: nh.Dev, Weight: nh.Weight, Flags: flags})
		}
		if rt.Nexthops == nil {
			rt.Nexthops = []Nexthop{}
		}
		out = append(out, rt)
	}
	return out, nil
}

func parseDst(s string, r rawRoute) (netip.Prefix, error) {
	if s == "default" {
		v6 := strings.Contains(r.Gateway, ":")
		for _, nh := range r.Nexthops {
			v6 = v6 || strings.Contains(nh.Gateway, ":")
		}
		if v6 {
			return netip.MustParsePrefix("::/0"), nil
		}
		return netip.MustParsePrefix("0.0.0.0/0"), nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("failed to parse route destination %q: %w", s, err)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("failed to parse route destination %q: %w", s, err)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Lookup returns the route whose destination is exactly p.
func Lookup(routes []Route, p netip.Prefix) (Route, bool) {
	for _, r := range routes {
		if r.Dst == p {
			return r, true
		}
	}
	return Route{}, false
}
