package ipvs

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
)

// ReadSetsNetlink reads the named ipsets of the calling process's network
// namespace through netlink, for nodes without the ipset CLI (kind's node
// image has none). A set that does not exist is left out.
func ReadSetsNetlink(names ...string) ([]Set, error) {
	out := []Set{}
	for _, name := range names {
		r, err := netlink.IpsetList(name)
		if errors.Is(err, syscall.ENOENT) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("failed to list ipset %s through netlink: %w", name, err)
		}
		out = append(out, setOf(r))
	}
	return out, nil
}

// setOf converts a netlink dump to what ParseSets makes of `ipset list`.
func setOf(r *netlink.IPSetResult) Set {
	s := Set{Name: r.SetName, Type: r.TypeName, Entries: []Member{}}
	switch r.Family {
	case syscall.AF_INET:
		s.Family = "inet"
	case syscall.AF_INET6:
		s.Family = "inet6"
	}
	for _, e := range r.Entries {
		m := Member{Address: addrOf(e.IP), Comment: e.Comment}
		if e.Protocol != nil {
			m.Protocol = protoName(uint16(*e.Protocol))
		}
		if e.Port != nil {
			m.Port = *e.Port
		}
		if a := addrOf(e.IP2); a.IsValid() { // hash:ip,port,net or hash:ip,port,ip
			bits := a.BitLen()
			if e.CIDR2 != 0 && int(e.CIDR2) < bits {
				bits = int(e.CIDR2)
			}
			m.Net = netip.PrefixFrom(a, bits).Masked()
		}
		s.Entries = append(s.Entries, m)
	}
	return s
}
