package ipvs

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// ipvsadm.txt, probe-ipvs.json and kube-proxy-sets.txt were captured back
// to back from one user-mode Linux node running kube-proxy v1.37.2 in ipvs
// mode (testdata/capture-uml.sh).

func capturedDump(t *testing.T) *Dump {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "probe-ipvs.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDump(data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// ipvsadmLn reads `ipvsadm -Ln` into lines that say the same thing as a
// Dump: one per virtual server, "PROTO addr:port sched -> real fwd weight, …".
func ipvsadmLn(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "ipvsadm.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 3 && (fields[0] == "TCP" || fields[0] == "UDP" || fields[0] == "SCTP"):
			out = append(out, strings.ToLower(fields[0])+" "+fields[1]+" "+fields[2]+" ->")
		case len(fields) == 6 && fields[0] == "->" && fields[1] != "RemoteAddress:Port":
			out[len(out)-1] += " " + fields[1] + " " + fields[2] + " " + fields[3]
		}
	}
	slices.Sort(out)
	return out
}

// dumpLines renders a Dump as ipvsadmLn does.
func dumpLines(d *Dump) []string {
	var out []string
	for _, vs := range d.VirtualServers {
		line := fmt.Sprintf("%s %s %s ->", vs.Protocol, netip.AddrPortFrom(vs.Address, vs.Port), vs.Scheduler)
		for _, rs := range vs.RealServers {
			line += " " + rs.Address.String() + " " + rs.Forward + " " + strconv.Itoa(rs.Weight)
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

// The netlink reader (`lblab probe ipvs`) sees exactly what ipvsadm sees
// on the same node: every virtual server, scheduler and real server, both
// families.
func TestNetlinkReaderMatchesIPVSADM(t *testing.T) {
	d := capturedDump(t)
	d.Sort()
	want, got := ipvsadmLn(t), dumpLines(d)
	if len(want) < 6 {
		t.Fatalf("the ipvsadm capture has %d virtual servers; want the three Services' LB IPs and more", len(want))
	}
	if !slices.Equal(got, want) {
		t.Errorf("netlink reader:\n%s\nipvsadm -Ln:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The typed view verify judges, from the real node: each LB IP leads to
// the three nginx endpoints, with the source ranges kube-proxy enforces.
func TestCapturedFrontends(t *testing.T) {
	d := capturedDump(t)
	sets := capturedSets(t)
	for _, tt := range []struct {
		ip, ranges string
	}{
		{"198.51.100.0", "[]"},
		{"2001:db8:100::", "[]"},
		{"198.51.100.2", "[192.0.2.2/32]"},
		{"2001:db8:100::2", "[2001:db8:c::2/128]"},
		{"198.51.100.3", "[10.89.0.0/24 192.0.2.0/24]"},
	} {
		ip := netip.MustParseAddr(tt.ip)
		vs, ok := d.Lookup(ip, "tcp", 80)
		if !ok {
			t.Errorf("%s: no virtual server", ip)
			continue
		}
		l := LBSetsOf(sets, ip.Is6())
		l.Rules = capturedRules(t, ip.Is6())
		f := vs.Frontend(l)
		if len(f.Backends) != 3 || fmt.Sprint(f.SourceRanges) != tt.ranges || f.Drop {
			t.Errorf("%s: backends %v ranges %v drop %v; want 3 backends and ranges %s", ip, f.Backends, f.SourceRanges, f.Drop, tt.ranges)
		}
	}
}

// kube-proxy's firewall rules as read from the real iptables-save of each
// family: IPv6 has no SOURCE-IP rule (its set is empty), and output
// without them, or with a firewall chain that does not drop, filters
// nothing.
func TestParseFirewallRules(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  FirewallRules
		want FirewallRules
	}{
		{"ipv4", capturedRules(t, false), FirewallRules{Drops: true, CIDRs: true, IPs: true}},
		{"ipv6", capturedRules(t, true), FirewallRules{Drops: true, CIDRs: true}},
		{"no rules", ParseFirewallRules([]byte("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"), false), FirewallRules{}},
		{"a chain that does not drop", ParseFirewallRules([]byte("*filter\n"+
			"-A KUBE-PROXY-FIREWALL -m set --match-set KUBE-LOAD-BALANCER-FW dst,dst -j KUBE-SOURCE-RANGES-FIREWALL\n"+
			"-A KUBE-SOURCE-RANGES-FIREWALL -m set --match-set KUBE-LOAD-BALANCER-SOURCE-CIDR dst,dst,src -j RETURN\nCOMMIT\n"), false),
			FirewallRules{CIDRs: true}},
		{"a negated match is no match", ParseFirewallRules([]byte("*filter\n"+
			"-A KUBE-PROXY-FIREWALL -m set ! --match-set KUBE-LOAD-BALANCER-FW dst,dst -j KUBE-SOURCE-RANGES-FIREWALL\n"+
			"-A KUBE-SOURCE-RANGES-FIREWALL -j DROP\nCOMMIT\n"), false), FirewallRules{}},
	} {
		got := tt.got
		if got.Drops != tt.want.Drops || got.CIDRs != tt.want.CIDRs || got.IPs != tt.want.IPs {
			t.Errorf("%s: drops %v cidrs %v ips %v; want %v %v %v\n%s", tt.name, got.Drops, got.CIDRs, got.IPs,
				tt.want.Drops, tt.want.CIDRs, tt.want.IPs, strings.Join(got.Lines, "\n"))
		}
	}
}
