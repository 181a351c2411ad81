package l2

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
)

// link is an interface as InterfaceFor sees it.
type link struct {
	name     string
	up       bool
	prefixes []netip.Prefix
}

// InterfaceFor returns the interface, in the calling thread's network
// namespace, to answer for ip on: the up interface with an address in a
// subnet that contains ip (the longest such subnet wins), among allowed
// when allowed is not empty. Host routes (/32, /128, as kube-ipvs0 carries)
// do not count. It fails, naming the interfaces seen, when no interface or
// several equally good ones match, or when ip is itself an interface's
// address.
func InterfaceFor(ip netip.Addr, allowed []string) (*net.Interface, error) {
	nls, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("l2: listing interfaces: %w", err)
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("l2: listing addresses: %w", err)
	}
	byIndex := map[int]*link{}
	var links []*link
	for _, l := range nls {
		a := l.Attrs()
		byIndex[a.Index] = &link{name: a.Name, up: a.Flags&net.FlagUp != 0}
		links = append(links, byIndex[a.Index])
	}
	for _, a := range addrs {
		l, ok := byIndex[a.LinkIndex]
		if !ok || a.IPNet == nil {
			continue
		}
		addr, ok := netip.AddrFromSlice(a.IP)
		ones, _ := a.Mask.Size()
		if ok {
			l.prefixes = append(l.prefixes, netip.PrefixFrom(addr.Unmap(), ones))
		}
	}
	name, err := chooseInterface(ip, allowed, links)
	if err != nil {
		return nil, err
	}
	return net.InterfaceByName(name)
}

// chooseInterface is InterfaceFor's choice over a listing.
func chooseInterface(ip netip.Addr, allowed []string, links []*link) (string, error) {
	if !ip.IsValid() {
		return "", fmt.Errorf("l2: no IP to choose an interface for")
	}
	ip = ip.Unmap().WithZone("")
	best, bits := []string(nil), -1
	for _, l := range links {
		if len(allowed) > 0 && !slices.Contains(allowed, l.name) || !l.up {
			continue
		}
		for _, p := range l.prefixes {
			switch {
			case p.Bits() == p.Addr().BitLen() || !p.Contains(ip):
				continue
			case p.Addr() == ip:
				return "", fmt.Errorf("l2: %s is an address of interface %s: the kernel answers for it", ip, l.name)
			case p.Bits() > bits:
				best, bits = []string{l.name}, p.Bits()
			case p.Bits() == bits && !slices.Contains(best, l.name):
				best = append(best, l.name)
			}
		}
	}
	switch len(best) {
	case 1:
		return best[0], nil
	case 0:
		return "", fmt.Errorf("l2: no interface has a subnet containing %s%s (seen: %s)", ip, restriction(allowed), describe(links))
	default:
		return "", fmt.Errorf("l2: several interfaces have a /%d subnet containing %s: %s; restrict the choice to one", bits, ip, strings.Join(best, ", "))
	}
}

func restriction(allowed []string) string {
	if len(allowed) == 0 {
		return ""
	}
	return " among " + strings.Join(allowed, ", ")
}

// describe lists the interfaces for errors: "eth0 [10.0.0.1/24 fd00::1/64], lo (down) []".
func describe(links []*link) string {
	if len(links) == 0 {
		return "no interfaces"
	}
	parts := make([]string, len(links))
	for i, l := range links {
		ps := make([]string, len(l.prefixes))
		for j, p := range l.prefixes {
			ps[j] = p.String()
		}
		down := ""
		if !l.up {
			down = " (down)"
		}
		parts[i] = fmt.Sprintf("%s%s [%s]", l.name, down, strings.Join(ps, " "))
	}
	return strings.Join(parts, ", ")
}
