package nftables

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/testutil/golden"
)

// testdata/kube-proxy.json was captured with `nft -j list ruleset` (nftables
// 1.0.6) in a netns lab node running the real kube-proxy v1.37.2 in
// nftables mode; see testdata/README.md.
func load(t *testing.T) *Ruleset {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "kube-proxy.json"))
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
	rs := load(t)
	for _, ip := range []string{"198.51.100.0", "198.51.100.1", "198.51.100.2", "2001:db8:100::", "2001:db8:100::1", "2001:db8:100::2"} {
		name := "lb_" + strings.ReplaceAll(ip, ":", "_")
		t.Run(name, func(t *testing.T) {
			s, err := rs.LoadBalancer(netip.MustParseAddr(ip), "TCP", 80)
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

func backends(s *Service) []string {
	var out []string
	for _, b := range s.Frontend().Backends {
		out = append(out, b.String())
	}
	return out
}

func TestLoadBalancerSemantics(t *testing.T) {
	rs := load(t)
	tests := []struct {
		ip, target string
		want       []string
		ranges     []string
	}{
		{"198.51.100.0", "service-", []string{"10.244.1.2:80", "10.244.2.2:80", "10.244.3.2:80"}, nil},
		// This capture is node2: ETP=Local reaches only node2's endpoint.
		{"198.51.100.1", "local-", []string{"10.244.2.3:80"}, nil},
		{"198.51.100.2", "service-", []string{"10.244.1.4:80", "10.244.2.4:80", "10.244.3.4:80"}, []string{"192.0.2.2/32"}},
		{"2001:db8:100::", "service-", []string{"[fd00:10:244:1::2]:80", "[fd00:10:244:2::2]:80", "[fd00:10:244:3::2]:80"}, nil},
		{"2001:db8:100::2", "service-", []string{"[fd00:10:244:1::4]:80", "[fd00:10:244:2::4]:80", "[fd00:10:244:3::4]:80"}, []string{"2001:db8:c::2/128"}},
	}
	for _, tt := range tests {
		s, err := rs.LoadBalancer(netip.MustParseAddr(tt.ip), "tcp", 80)
		if err != nil {
			t.Fatal(err)
		}
		if s.Target == nil || !strings.HasPrefix(s.Target.Name, tt.target) {
			t.Errorf("%s: target %v, want %s…", tt.ip, s.Target, tt.target)
		}
		if got := backends(s); !slices.Equal(got, tt.want) {
			t.Errorf("%s: backends %v, want %v", tt.ip, got, tt.want)
		}
		var ranges []string
		for _, p := range s.SourceRanges {
			ranges = append(ranges, p.String())
		}
		if !slices.Equal(ranges, tt.ranges) {
			t.Errorf("%s: source ranges %v, want %v", tt.ip, ranges, tt.ranges)
		}
	}
	if _, err := rs.LoadBalancer(netip.MustParseAddr("198.51.100.9"), "tcp", 80); err == nil ||
		!strings.Contains(err.Error(), "no element 198.51.100.9 . tcp . 80") {
		t.Errorf("unknown IP: %v", err)
	}
	empty, _ := Parse([]byte(`{"nftables":[{"metainfo":{"version":"1.0.6"}}]}`))
	if _, err := empty.LoadBalancer(netip.MustParseAddr("198.51.100.0"), "tcp", 80); err == nil ||
		!strings.Contains(err.Error(), "has not run") {
		t.Errorf("no kube-proxy table: %v", err)
	}
}

// TestEndpointChains covers the shape kube-proxy used before v1.33: the
// service chain picks an endpoint chain through a numgen vmap, and each
// endpoint chain DNATs. Synthetic input in nft's JSON schema.
func TestEndpointChains(t *testing.T) {
	in := `{"nftables":[
{"table":{"family":"ip","name":"kube-proxy"}},
{"map":{"family":"ip","name":"service-ips","table":"kube-proxy","type":["ipv4_addr","inet_proto","inet_service"],"map":"verdict",
 "elem":[[{"concat":["198.51.100.7","tcp",80]},{"goto":{"target":"service-AAAA-default/x/tcp/"}}]]}},
{"chain":{"family":"ip","table":"kube-proxy","name":"service-AAAA-default/x/tcp/"}},
{"chain":{"family":"ip","table":"kube-proxy","name":"endpoint-B-default/x/tcp/__10.244.1.9/80"}},
{"chain":{"family":"ip","table":"kube-proxy","name":"endpoint-C-default/x/tcp/__10.244.2.9/80"}},
{"rule":{"family":"ip","table":"kube-proxy","chain":"service-AAAA-default/x/tcp/","handle":1,"expr":[
 {"vmap":{"key":{"numgen":{"mode":"random","mod":2,"offset":0}},"data":{"set":[[0,{"goto":{"target":"endpoint-B-default/x/tcp/__10.244.1.9/80"}}],[1,{"goto":{"target":"endpoint-C-default/x/tcp/__10.244.2.9/80"}}]]}}}]}},
{"rule":{"family":"ip","table":"kube-proxy","chain":"endpoint-B-default/x/tcp/__10.244.1.9/80","handle":2,"expr":[{"dnat":{"addr":"10.244.1.9","port":80}}]}},
{"rule":{"family":"ip","table":"kube-proxy","chain":"endpoint-C-default/x/tcp/__10.244.2.9/80","handle":3,"expr":[{"dnat":{"addr":"10.244.2.9","port":80}}]}}
]}`
	rs, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	s, err := rs.LoadBalancer(netip.MustParseAddr("198.51.100.7"), "tcp", 80)
	if err != nil {
		t.Fatal(err)
	}
	if got := backends(s); !slices.Equal(got, []string{"10.244.1.9:80", "10.244.2.9:80"}) {
		t.Errorf("backends %v", got)
	}
	if s.Endpoints[0].Chain == "" || !strings.Contains(s.Target.Rules[0].Text, "numgen random mod 2 vmap") {
		t.Errorf("endpoint chain %q, text %q", s.Endpoints[0].Chain, s.Target.Rules[0].Text)
	}
}

func TestRender(t *testing.T) {
	rs := load(t)
	want := map[string]string{
		"service-SUSTUHLJ-default/web/tcp/http":     "meta l4proto tcp dnat ip to numgen random mod 3 map { 0 : 10.244.1.2 . 80, 1 : 10.244.2.2 . 80, 2 : 10.244.3.2 . 80 }",
		"firewall-PWWKIMYI-default/ranged/tcp/http": "ip saddr != 192.0.2.2 drop",
	}
	for chain, text := range want {
		rules, ok := rs.ChainRules("ip", KubeProxyTable, chain)
		if !ok || len(rules) != 1 || rules[0].Text != text {
			t.Errorf("chain %s: %+v, want %q", chain, rules, text)
		}
	}
	if _, err := Parse([]byte("not json")); err == nil {
		t.Error("want an error for bad JSON")
	}
}
