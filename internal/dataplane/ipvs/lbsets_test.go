package ipvs

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSetName(t *testing.T) {
	for _, tt := range []struct {
		name string
		v6   bool
		want string
	}{
		{SourceCIDRSet, false, "KUBE-LOAD-BALANCER-SOURCE-CIDR"},
		{SourceCIDRSet, true, "KUBE-6-LOAD-BALANCER-SOURCE-CID"}, // cut to 31 characters
		{SourceIPSet, true, "KUBE-6-LOAD-BALANCER-SOURCE-IP"},
		{LoadBalancerSet, true, LoadBalancerSetV6},
		{"OTHER", true, "OTHER"},
	} {
		if got := SetName(tt.name, tt.v6); got != tt.want {
			t.Errorf("SetName(%s, %v) = %s, want %s", tt.name, tt.v6, got, tt.want)
		}
	}
}

// capturedRules reads the firewall rules of one family from the
// iptables-save capture (see testdata/capture-uml.sh).
func capturedRules(t *testing.T, v6 bool) FirewallRules {
	t.Helper()
	name := "iptables-save.txt"
	if v6 {
		name = "ip6tables-save.txt"
	}
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return ParseFirewallRules(data, v6)
}

// capturedSets reads kube-proxy-sets.txt (see testdata/capture-uml.sh).
func capturedSets(t *testing.T) []Set {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "kube-proxy-sets.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sets, err := ParseSets(data)
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// TestLBSetsCaptured: every LB set name of both families is in the
// capture of kube-proxy's sets, and what each LB IP's entries let in.
func TestLBSetsCaptured(t *testing.T) {
	sets := capturedSets(t)
	for _, n := range LBSetNames() {
		if !slices.ContainsFunc(sets, func(s Set) bool { return s.Name == n }) {
			t.Errorf("the capture has no set %s", n)
		}
	}
	for _, tt := range []struct {
		addr     string
		allowed  string // "" = not filtered
		filtered bool
	}{
		{"198.51.100.0", "[]", false},
		{"198.51.100.2", "[192.0.2.2/32]", true},
		{"198.51.100.3", "[10.89.0.0/24 192.0.2.0/24]", true}, // its SOURCE-IP entry is the node's own traffic
		{"2001:db8:100::", "[]", false},
		{"2001:db8:100::2", "[2001:db8:c::2/128]", true},
	} {
		a := netip.MustParseAddr(tt.addr)
		l := LBSetsOf(sets, a.Is6())
		l.Rules = capturedRules(t, a.Is6())
		acc := l.Access(a, "tcp", 80)
		got, filtered := acc.Allowed(a)
		if !acc.Served || filtered != tt.filtered || fmt.Sprint(got) != tt.allowed {
			t.Errorf("%s: served %v, allowed %v filtered %v, want %s filtered %v", a, acc.Served, got, filtered, tt.allowed, tt.filtered)
		}
	}
}

// TestFrontendSourceRanges: the frontend's sources and drop as the LB
// sets make them, including states kube-proxy would not leave behind.
func TestFrontendSourceRanges(t *testing.T) {
	ip := netip.MustParseAddr("198.51.100.2")
	vs := &VirtualServer{Address: ip, Protocol: "tcp", Port: 80, Scheduler: "rr",
		RealServers: []RealServer{{Address: netip.MustParseAddrPort("10.244.1.4:80"), Weight: 1}}}
	set := func(name, typ string, entries ...string) *Set {
		s := &Set{Name: name, Type: typ}
		for _, e := range entries {
			m, err := parseMember(typ, e)
			if err != nil {
				t.Fatal(err)
			}
			s.Entries = append(s.Entries, m)
		}
		return s
	}
	rules := capturedRules(t, false) // the firewall rules as kube-proxy writes them
	lb := set(LoadBalancerSet, "hash:ip,port", "198.51.100.2,tcp:80")
	fw := set(FirewallSet, "hash:ip,port", "198.51.100.2,tcp:80")
	cidr := set(SourceCIDRSet, "hash:ip,port,net", "198.51.100.2,tcp:80,192.0.2.2", "198.51.100.9,tcp:80,203.0.113.0/24")
	for _, tt := range []struct {
		name   string
		sets   LBSets
		ranges string
		drop   bool
		rule   string
	}{
		{"filtered", LBSets{LoadBalancer: lb, Firewall: fw, SourceCIDR: cidr, Rules: rules}, "[192.0.2.2/32]", false, "KUBE-LOAD-BALANCER-SOURCE-CIDR: 198.51.100.2,tcp:80,192.0.2.2/32"},
		{"not filtered", LBSets{LoadBalancer: lb, Rules: rules}, "[]", false, "KUBE-LOAD-BALANCER-FW (absent): 198.51.100.2,tcp:80 member=false"},
		{"ranges without the FW entry are not in force", LBSets{LoadBalancer: lb, SourceCIDR: cidr, Rules: rules}, "[]", false, "source entries not in force"},
		{"FW entry without ranges drops everything", LBSets{LoadBalancer: lb, Firewall: fw, Rules: rules}, "[]", true, "KUBE-LOAD-BALANCER-FW: 198.51.100.2,tcp:80 member=true"},
		{"a foreign single source is let in", LBSets{LoadBalancer: lb, Firewall: fw, SourceCIDR: cidr, Rules: rules,
			SourceIP: set(SourceIPSet, "hash:ip,port,ip", "198.51.100.2,tcp:80,10.89.0.1", "198.51.100.2,tcp:80,198.51.100.2")},
			"[10.89.0.1/32 192.0.2.2/32]", false, "KUBE-LOAD-BALANCER-SOURCE-IP: 198.51.100.2,tcp:80,198.51.100.2"},
		// kube-proxy fills the sets before it writes the rules: between
		// the two (seconds on a uml node) nothing is filtered.
		{"FW entry before the rules that drop", LBSets{LoadBalancer: lb, Firewall: fw, SourceCIDR: cidr}, "[]", false,
			"not filtered yet: no iptables rule drops what KUBE-LOAD-BALANCER-FW does not let in"},
		{"source-range rule missing", LBSets{LoadBalancer: lb, Firewall: fw, SourceCIDR: cidr,
			Rules: FirewallRules{Drops: true, Lines: rules.Lines[:1]}}, "[]", true, "KUBE-LOAD-BALANCER-FW: 198.51.100.2,tcp:80 member=true"},
	} {
		f := vs.Frontend(tt.sets)
		if fmt.Sprint(f.SourceRanges) != tt.ranges || f.Drop != tt.drop || !strings.Contains(strings.Join(f.Rules, "\n"), tt.rule) ||
			len(f.Backends) != 1 {
			t.Errorf("%s: ranges %v drop %v backends %v rules:\n%s\nwant %s drop %v and %q", tt.name, f.SourceRanges, f.Drop, f.Backends,
				strings.Join(f.Rules, "\n"), tt.ranges, tt.drop, tt.rule)
		}
	}
}

// TestParseMembersOfEveryType: each set type kube-proxy makes parses, and
// an element count that does not fit the type is an error.
func TestParseMembersOfEveryType(t *testing.T) {
	sets := capturedSets(t)
	byName := map[string]Set{}
	for _, s := range sets {
		byName[s.Name] = s
	}
	// One NodePort per Service: web, ranges and node.
	if s := byName["KUBE-NODE-PORT-TCP"]; len(s.Entries) != 3 ||
		slices.ContainsFunc(s.Entries, func(m Member) bool { return m.Port < 30000 || m.Port > 32767 }) {
		t.Errorf("bitmap:port: %+v", s)
	}
	if s := byName["KUBE-IPVS-IPS"]; len(s.Entries) < 3 || s.Entries[0].Protocol != "" ||
		!slices.ContainsFunc(s.Entries, func(m Member) bool { return m.Address == netip.MustParseAddr("198.51.100.3") }) {
		t.Errorf("hash:ip: %+v", s)
	}
	pods6 := netip.MustParsePrefix("fd00:10:244::/56")
	if s := byName["KUBE-6-LOOP-BACK"]; len(s.Entries) != 1 || s.Entries[0].Port != 80 || s.Entries[0].Net.Bits() != 128 ||
		!pods6.Contains(s.Entries[0].Net.Addr()) {
		t.Errorf("hash:ip,port,ip: %+v", s)
	}
	for _, bad := range []struct{ typ, line string }{
		{"hash:ip,port,net", "198.51.100.2,tcp:80"},
		{"hash:ip,port", "198.51.100.2,tcp:80,192.0.2.2"},
		{"hash:ip,port,net", "198.51.100.2,tcp:80,nonsense"},
		{"bitmap:port", "http"},
	} {
		if _, err := parseMember(bad.typ, bad.line); err == nil {
			t.Errorf("%s member %q parsed", bad.typ, bad.line)
		}
	}
	other, err := ParseSets([]byte("Name: x\nType: list:set\nMembers:\nKUBE-A\n"))
	if err != nil || len(other) != 1 || len(other[0].Other) != 1 {
		t.Errorf("a set type not modelled: %+v %v", other, err)
	}
}
