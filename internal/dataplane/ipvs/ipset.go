package ipvs

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// LoadBalancerSet is the ipset kube-proxy's ipvs mode fills with LB
// IP,proto:port entries; the IPv6 proxier prefixes its sets with "KUBE-6-".
const (
	LoadBalancerSet   = "KUBE-LOAD-BALANCER"
	LoadBalancerSetV6 = "KUBE-6-LOAD-BALANCER"
)

// LoadBalancerSetOf returns the LB ipset of one family.
func LoadBalancerSetOf(v6 bool) string {
	if v6 {
		return LoadBalancerSetV6
	}
	return LoadBalancerSet
}

// Set is one `ipset list NAME`.
type Set struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Family  string   `json:"family,omitempty"` // inet or inet6
	Entries []Member `json:"entries"`
}

// Member is one entry of a hash:ip,port set.
type Member struct {
	Address  netip.Addr `json:"address"`
	Protocol string     `json:"protocol"`
	Port     uint16     `json:"port"`
	Comment  string     `json:"comment,omitempty"`
}

// Has reports whether the set holds addr,proto:port.
func (s *Set) Has(addr netip.Addr, proto string, port uint16) bool {
	for _, m := range s.Entries {
		if m.Address == addr && m.Protocol == strings.ToLower(proto) && m.Port == port {
			return true
		}
	}
	return false
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
			m, err := parseMember(line)
			if err != nil {
				return nil, fmt.Errorf("failed to parse ipset %s member %q: %w", cur.Name, line, err)
			}
			cur.Entries = append(cur.Entries, m)
		}
	}
	return out, sc.Err()
}

// parseMember parses "198.51.100.0,tcp:80 [comment "x"]".
func parseMember(line string) (Member, error) {
	entry, rest, _ := strings.Cut(line, " ")
	var m Member
	if c, ok := strings.CutPrefix(strings.TrimSpace(rest), "comment "); ok {
		if u, err := strconv.Unquote(c); err == nil {
			m.Comment = u
		}
	}
	addr, pp, ok := strings.Cut(entry, ",")
	if !ok {
		return m, fmt.Errorf("want IP,proto:port")
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return m, err
	}
	proto, port, ok := strings.Cut(pp, ":")
	if !ok {
		return m, fmt.Errorf("want proto:port after the comma")
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return m, fmt.Errorf("bad port %q", port)
	}
	m.Address, m.Protocol, m.Port = a, proto, uint16(p)
	return m, nil
}
