package scenarios

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// What l2-failover reads of a node's link before it takes it down, and
// the iproute2 commands that put it back: an interface that goes down
// loses its IPv6 addresses and every route through it, which coming up
// again does not restore (only the kernel's own prefix routes).

// ipLink is the part of `ip -j addr show` l2-failover reads.
type ipLink struct {
	IfName   string   `json:"ifname"`
	Flags    []string `json:"flags"`
	AddrInfo []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
		Scope     string `json:"scope"`
		// Deprecated marks an IPv6 address with preferred_lft 0, which
		// source selection avoids (a class or VIP speaker's own).
		Deprecated bool `json:"deprecated"`
	} `json:"addr_info"`
}

// deprecatedAddrs returns the deprecated addresses of `ip -j addr show`.
func deprecatedAddrs(raw []byte) map[netip.Addr]bool {
	var links []ipLink
	if err := json.Unmarshal(raw, &links); err != nil {
		return nil
	}
	out := map[netip.Addr]bool{}
	for _, l := range links {
		for _, a := range l.AddrInfo {
			if ip, err := netip.ParseAddr(a.Local); err == nil && a.Deprecated {
				out[ip] = true
			}
		}
	}
	return out
}

// ipRouteEntry is the part of `ip -j route show dev X` l2-failover reads.
type ipRouteEntry struct {
	Dst      string   `json:"dst"`
	Gateway  string   `json:"gateway"`
	Protocol string   `json:"protocol"`
	Scope    string   `json:"scope"`
	PrefSrc  string   `json:"prefsrc"`
	Metric   *int     `json:"metric"`
	Flags    []string `json:"flags"`
	Type     string   `json:"type"`
}

// safeToken is what l2-failover puts into a shell line unquoted.
var safeToken = regexp.MustCompile(`^[A-Za-z0-9_.:/@-]+$`)

// fabricLink returns the interface of `ip -j addr show` that holds one of
// addrs, whether it is up, and its addresses other than link-local ones.
func fabricLink(raw []byte, addrs []netip.Addr) (dev string, up bool, keep []netip.Prefix, err error) {
	var links []ipLink
	if err := json.Unmarshal(raw, &links); err != nil {
		return "", false, nil, fmt.Errorf("failed to parse `ip -j addr show`: %w", err)
	}
	for _, l := range links {
		var own []netip.Prefix
		found := false
		for _, a := range l.AddrInfo {
			ip, err := netip.ParseAddr(a.Local)
			if err != nil || a.Scope == "link" || ip.IsLinkLocalUnicast() {
				continue
			}
			found = found || slices.Contains(addrs, ip)
			own = append(own, netip.PrefixFrom(ip, a.PrefixLen))
		}
		if found {
			if !safeToken.MatchString(l.IfName) {
				return "", false, nil, fmt.Errorf("interface name %q", l.IfName)
			}
			return l.IfName, slices.Contains(l.Flags, "UP"), own, nil
		}
	}
	return "", false, nil, fmt.Errorf("no interface holds %s", orNone(addrs))
}

// linkRestoreLines returns the commands that bring dev up with addrs (the
// deprecated ones deprecated again) and the routes of `ip -j -4|-6 route
// show dev dev` (raw4, raw6), the kernel's own routes left to the kernel.
func linkRestoreLines(dev string, addrs []netip.Prefix, deprecated map[netip.Addr]bool, raw4, raw6 []byte) ([]string, error) {
	lines := []string{"ip link set dev " + dev + " up"}
	for _, a := range addrs {
		if a.Addr().Is6() {
			dep := ""
			if deprecated[a.Addr()] {
				dep = " preferred_lft 0"
			}
			lines = append(lines, fmt.Sprintf("ip -6 addr replace %s dev %s nodad%s", a, dev, dep))
		} else {
			lines = append(lines, fmt.Sprintf("ip -4 addr replace %s dev %s", a, dev))
		}
	}
	for _, f := range []struct {
		fam string
		raw []byte
	}{{"-4", raw4}, {"-6", raw6}} {
		routes, err := linkRoutes(f.raw)
		if err != nil {
			return nil, err
		}
		for _, r := range routes {
			l := []string{"ip", f.fam, "route", "replace", r.Dst}
			for _, kv := range [][2]string{{"via", r.Gateway}, {"dev", dev}, {"proto", r.Protocol}, {"scope", r.Scope}, {"src", r.PrefSrc}} {
				if kv[1] != "" {
					l = append(l, kv[0], kv[1])
				}
			}
			if r.Metric != nil {
				l = append(l, "metric", strconv.Itoa(*r.Metric))
			}
			if slices.Contains(r.Flags, "onlink") {
				l = append(l, "onlink")
			}
			for _, t := range l {
				if !safeToken.MatchString(t) {
					return nil, fmt.Errorf("route %q: unexpected field %q", r.Dst, t)
				}
			}
			lines = append(lines, strings.Join(l, " "))
		}
	}
	return lines, nil
}

// linkRoutes parses `ip -j route show dev X` and leaves out the kernel's
// own routes and those of other types than unicast.
func linkRoutes(raw []byte) ([]ipRouteEntry, error) {
	var all []ipRouteEntry
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &all); err != nil {
			return nil, fmt.Errorf("failed to parse `ip -j route show`: %w", err)
		}
	}
	return slices.DeleteFunc(all, func(r ipRouteEntry) bool {
		return r.Protocol == "kernel" || (r.Type != "" && r.Type != "unicast")
	}), nil
}

// routeDsts returns the destinations of `ip -j route show`'s routes.
func routeDsts(raw []byte) ([]string, error) {
	routes, err := linkRoutes(raw)
	var out []string
	for _, r := range routes {
		out = append(out, r.Dst)
	}
	return out, err
}
