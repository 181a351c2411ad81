package iptables

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/testutil/golden"
)

// The inputs were captured from kube-proxy v1.37.2 in iptables mode inside
// netns lab nodes (iptables v1.8.9, nf_tables backend); see testdata/README.md.
var lbs = []struct {
	file string
	ip   string
}{
	{"kube-proxy-ipv4", "198.51.100.0"}, // web: ETP Cluster, 3 endpoints
	{"kube-proxy-ipv4", "198.51.100.1"}, // local: ETP Local, an endpoint on this node
	{"kube-proxy-ipv4", "198.51.100.2"}, // ranged: loadBalancerSourceRanges
	{"kube-proxy-ipv6", "2001:db8:100::"},
	{"kube-proxy-ipv6", "2001:db8:100::1"},
	{"kube-proxy-ipv6", "2001:db8:100::2"},
	{"kube-proxy-ipv4-no-local", "198.51.100.1"}, // ETP Local, no endpoint on this node
}

func load(t *testing.T, file string) *Ruleset {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestLoadBalancerGolden(t *testing.T) {
	for _, lb := range lbs {
		name := lb.file + "_" + strings.ReplaceAll(lb.ip, ":", "_")
		t.Run(name, func(t *testing.T) {
			s, err := load(t, lb.file).LoadBalancer(netip.MustParseAddr(lb.ip), "TCP", 80)
			if err != nil {
				t.Fatal(err)
			}
			golden.AssertJSON(t, filepath.Join("testdata", name+".golden.json"), struct {
				Service  *Service `json:"service"`
				Frontend any      `json:"frontend"`
			}{s, s.Frontend()})
		})
	}
}

func TestLoadBalancerSemantics(t *testing.T) {
	v4 := load(t, "kube-proxy-ipv4")
	web, _ := v4.LoadBalancer(netip.MustParseAddr("198.51.100.0"), "tcp", 80)
	if web.Name != "default/web:http" || web.External == nil || !strings.HasPrefix(web.Target.Name, "KUBE-SVC-") {
		t.Errorf("web: %+v", web)
	}
	wantWeb := []string{"10.244.1.2:80", "10.244.2.2:80", "10.244.3.2:80"}
	if got := backends(web); !slices.Equal(got, wantWeb) {
		t.Errorf("web backends %v, want %v", got, wantWeb)
	}
	if p := web.Endpoints[0].Probability; p < 0.333 || p > 0.334 {
		t.Errorf("first endpoint probability %v, want 1/3", p)
	}
	if web.Endpoints[0].Packets == 0 {
		t.Error("the capture sent traffic through web's first endpoint rule; its counter is 0")
	}
	local, _ := v4.LoadBalancer(netip.MustParseAddr("198.51.100.1"), "tcp", 80)
	if !strings.HasPrefix(local.Target.Name, "KUBE-SVL-") || !slices.Equal(backends(local), []string{"10.244.1.3:80"}) {
		t.Errorf("local: target %s backends %v, want KUBE-SVL with the node's own endpoint", local.Target.Name, backends(local))
	}
	ranged, _ := v4.LoadBalancer(netip.MustParseAddr("198.51.100.2"), "tcp", 80)
	if ranged.Firewall == nil || len(ranged.SourceRanges) != 1 || ranged.SourceRanges[0].String() != "192.0.2.2/32" {
		t.Errorf("ranged: firewall %v ranges %v", ranged.Firewall, ranged.SourceRanges)
	}
	// Past the firewall's source-restricted jump, to the endpoints.
	if ranged.External == nil || ranged.Target == nil || !slices.Equal(backends(ranged), []string{"10.244.1.4:80", "10.244.2.4:80", "10.244.3.4:80"}) {
		t.Errorf("ranged: external %v target %v backends %v, want its three endpoints past the firewall", ranged.External, ranged.Target, backends(ranged))
	}
	noLocal, _ := load(t, "kube-proxy-ipv4-no-local").LoadBalancer(netip.MustParseAddr("198.51.100.1"), "tcp", 80)
	if noLocal.Drop == nil || len(noLocal.Endpoints) != 0 {
		t.Errorf("no local endpoint: drop %v endpoints %v, want a drop rule and none", noLocal.Drop, noLocal.Endpoints)
	}
	if _, err := v4.LoadBalancer(netip.MustParseAddr("198.51.100.9"), "tcp", 80); err == nil ||
		!strings.Contains(err.Error(), "no KUBE-SERVICES rule for 198.51.100.9:80/tcp") {
		t.Errorf("unknown IP: %v", err)
	}
	empty, _ := Parse([]byte("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"))
	if _, err := empty.LoadBalancer(netip.MustParseAddr("198.51.100.0"), "tcp", 80); err == nil ||
		!strings.Contains(err.Error(), "no nat table") {
		t.Errorf("flushed nat table: %v", err)
	}
}

func backends(s *Service) []string {
	var out []string
	for _, b := range s.Frontend().Backends {
		out = append(out, b.String())
	}
	return out
}

func TestParseCountsAndRoundTrip(t *testing.T) {
	for _, f := range []string{"kube-proxy-ipv4", "kube-proxy-ipv6", "kube-proxy-ipv4-no-local"} {
		data, _ := os.ReadFile(filepath.Join("testdata", f+".txt"))
		rs := load(t, f)
		var rules int
		for _, tb := range rs.Tables {
			for _, c := range tb.Chains {
				rules += len(c.Rules)
				for _, r := range c.Rules {
					// Every rule renders back to the line it came from.
					if !strings.Contains(string(data), r.String()) {
						t.Errorf("%s: rule does not round-trip: %s", f, r)
					}
				}
			}
		}
		if want := strings.Count(string(data), "\n["); rules != want {
			t.Errorf("%s: parsed %d rules, want %d", f, rules, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"-A FOO -j ACCEPT\n",                                    // outside a table
		"*nat\n-A FOO -j ACCEPT\nCOMMIT\n",                      // undeclared chain
		"*nat\n:FOO - [x:1]\nCOMMIT\n",                          // bad counters
		"*nat\n:FOO - [0:0]\n-A FOO -m comment --comment \"x\n", // unterminated quote
		"*nat\n:FOO - [0:0]\n-A FOO -j DNAT --to-destination nope\n",
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q): want an error", in)
		}
	}
}
