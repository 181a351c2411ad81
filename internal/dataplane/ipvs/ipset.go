package ipvs

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// kube-proxy's ipvs mode keeps its LoadBalancer state in four ipsets per
// family (k8s.io/kubernetes pkg/proxy/ipvs, ipset.go and proxier.go):
//
//   - KUBE-LOAD-BALANCER (hash:ip,port): every LB IP,proto:port;
//   - KUBE-LOAD-BALANCER-FW (hash:ip,port): those of Services with
//     loadBalancerSourceRanges, whose sources the filter table checks;
//   - KUBE-LOAD-BALANCER-SOURCE-CIDR (hash:ip,port,net): LB IP,proto:port,
//     range for every range;
//   - KUBE-LOAD-BALANCER-SOURCE-IP (hash:ip,port,ip): LB IP,proto:port,LB
//     IP when a range covers the node, so the node's own traffic (sourced
//     from the LB IP it holds) gets in.
//
// Traffic to an IP,proto:port of the FW set returns from the
// KUBE-SOURCE-RANGES-FIREWALL chain when (dst,dst,src) is in SOURCE-CIDR
// or SOURCE-IP, and is dropped otherwise.
const (
	LoadBalancerSet = "KUBE-LOAD-BALANCER"
	FirewallSet     = "KUBE-LOAD-BALANCER-FW"
	SourceCIDRSet   = "KUBE-LOAD-BALANCER-SOURCE-CIDR"
	SourceIPSet     = "KUBE-LOAD-BALANCER-SOURCE-IP"
	// LoadBalancerSetV6 is SetName(LoadBalancerSet, true).
	LoadBalancerSetV6 = "KUBE-6-LOAD-BALANCER"
)

// maxSetName is the longest ipset name (IPSET_MAXNAMELEN - 1).
const maxSetName = 31

// SetName returns kube-proxy's name of one of its sets for a family: the
// IPv6 proxier turns the "KUBE-" prefix into "KUBE-6-" and cuts the name
// to 31 characters (KUBE-6-LOAD-BALANCER-SOURCE-CID).
func SetName(name string, v6 bool) string {
	if !v6 || !strings.HasPrefix(name, "KUBE-") {
		return name
	}
	name = "KUBE-6-" + strings.TrimPrefix(name, "KUBE-")
	if len(name) > maxSetName {
		name = name[:maxSetName]
	}
	return name
}

// LoadBalancerSetOf returns the LB ipset of one family.
func LoadBalancerSetOf(v6 bool) string { return SetName(LoadBalancerSet, v6) }

// LBSetNames are the names of the four LB sets of both families, IPv4
// first.
func LBSetNames() []string {
	var out []string
	for _, v6 := range []bool{false, true} {
		for _, n := range []string{LoadBalancerSet, FirewallSet, SourceCIDRSet, SourceIPSet} {
			out = append(out, SetName(n, v6))
		}
	}
	return out
}

// Set is one set of `ipset list`.
type Set struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Family  string   `json:"family,omitempty"` // inet or inet6
	Entries []Member `json:"entries"`
	// Other are the members of a set type this package does not model,
	// as ipset prints them.
	Other []string `json:"other,omitempty"`
}

// Member is one entry of a hash:ip,port[,ip|,net], hash:ip or bitmap:port
// set.
type Member struct {
	Address  netip.Addr `json:"address,omitzero"`
	Protocol string     `json:"protocol,omitempty"`
	Port     uint16     `json:"port,omitzero"`
	// Net is the third element: the net of hash:ip,port,net, or the
	// address of hash:ip,port,ip as a host prefix.
	Net     netip.Prefix `json:"net,omitzero"`
	Comment string       `json:"comment,omitempty"`
}

// Has reports whether the set holds addr,proto:port (an entry of two
// elements).
func (s *Set) Has(addr netip.Addr, proto string, port uint16) bool {
	for _, m := range s.Entries {
		if m.Address == addr && m.Protocol == strings.ToLower(proto) && m.Port == port && !m.Net.IsValid() {
			return true
		}
	}
	return false
}

// Thirds returns the third elements of the set's addr,proto:port,X
// entries, in set order.
func (s *Set) Thirds(addr netip.Addr, proto string, port uint16) []netip.Prefix {
	var out []netip.Prefix
	for _, m := range s.Entries {
		if m.Address == addr && m.Protocol == strings.ToLower(proto) && m.Port == port && m.Net.IsValid() {
			out = append(out, m.Net)
		}
	}
	return out
}

// ParseSets parses `ipset list [NAME]` (one or more sets).
func ParseSets(data []byte) ([]Set, error) {
	var out []Set
	var cur *Set
	members := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "Name: "):
			out = append(out, Set{Name: strings.TrimPrefix(line, "Name: "), Entries: []Member{}})
			cur, members = &out[len(out)-1], false
		case cur == nil:
			return nil, fmt.Errorf("failed to parse ipset list: %q before any Name:", line)
		case strings.HasPrefix(line, "Type: "):
			cur.Type = strings.TrimPrefix(line, "Type: ")
		case strings.HasPrefix(line, "Header: "):
			f := strings.Fields(strings.TrimPrefix(line, "Header: "))
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "family" {
					cur.Family = f[i+1]
				}
			}
		case line == "Members:":
			members = true
		case members:
			if !modelled(cur.Type) {
				cur.Other = append(cur.Other, line)
				continue
			}
			m, err := parseMember(cur.Type, line)
			if err != nil {
				return nil, fmt.Errorf("failed to parse ipset %s member %q: %w", cur.Name, line, err)
			}
			cur.Entries = append(cur.Entries, m)
		}
	}
	return out, sc.Err()
}

// modelled reports whether members of a set type parse into Members; an
// empty type (a set without a Type: line) is read as hash:ip,port.
func modelled(typ string) bool {
	switch typ {
	case "", "hash:ip,port", "hash:ip,port,ip", "hash:ip,port,net", "hash:ip", "bitmap:port":
		return true
	}
	return false
}

// parseMember parses one member, `198.51.100.0,tcp:80 [comment "x"]` or
// with a third element (`,192.0.2.0/24`, `,198.51.100.0`), a bare address
// (hash:ip) or a bare port (bitmap:port).
func parseMember(typ, line string) (Member, error) {
	entry, rest, _ := strings.Cut(line, " ")
	var m Member
	if c, ok := strings.CutPrefix(strings.TrimSpace(rest), "comment "); ok {
		if u, err := strconv.Unquote(c); err == nil {
			m.Comment = u
		}
	}
	if typ == "bitmap:port" {
		p, err := strconv.ParseUint(entry, 10, 16)
		if err != nil {
			return m, fmt.Errorf("bad port %q", entry)
		}
		m.Port = uint16(p)
		return m, nil
	}
	parts := strings.Split(entry, ",")
	a, err := netip.ParseAddr(parts[0])
	if err != nil {
		return m, err
	}
	m.Address = a
	if typ == "hash:ip" {
		if len(parts) != 1 {
			return m, fmt.Errorf("want an address")
		}
		return m, nil
	}
	want := 2
	if strings.Count(typ, ",") == 2 {
		want = 3
	}
	if len(parts) != want {
		return m, fmt.Errorf("want %d comma-separated elements for %s", want, orDefault(typ))
	}
	proto, port, ok := strings.Cut(parts[1], ":")
	if !ok {
		return m, fmt.Errorf("want proto:port after the comma")
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return m, fmt.Errorf("bad port %q", port)
	}
	m.Protocol, m.Port = proto, uint16(p)
	if want == 3 {
		if m.Net, err = parsePrefix(parts[2]); err != nil {
			return m, err
		}
	}
	return m, nil
}

func orDefault(typ string) string {
	if typ == "" {
		return "hash:ip,port"
	}
	return typ
}

// parsePrefix reads a net as ipset prints it: a host without its /32 or
// /128.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
