package scenarios

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/haproxy"
	"github.com/lblab/lblab/internal/iproute"
)

// lbCluster is two eligible workers (dual-stack), an excluded control
// plane and a not-ready worker, and one Service of the external class.
func lbCluster(local bool) *Cluster {
	a := netip.MustParseAddr
	return &Cluster{
		Nodes: []NodeInfo{
			{Name: "cp", Addrs: []netip.Addr{a("10.0.0.10"), a("fd00::10")}, Excluded: true, Ready: true},
			{Name: "node1", Addrs: []netip.Addr{a("10.0.0.11"), a("fd00::11")}, Ready: true},
			{Name: "node2", Addrs: []netip.Addr{a("10.0.0.12"), a("fd00::12")}, Ready: true},
			{Name: "node3", Addrs: []netip.Addr{a("10.0.0.13"), a("fd00::13")}},
		},
		Services: []ServiceInfo{{Namespace: "default", Name: "web", Class: "lblab.dev/external", ETPLocal: local,
			LBIPs:     []netip.Addr{a("203.0.113.100"), a("2001:db8:e::100")},
			Ports:     []PortInfo{{Port: 80, NodePort: 30080, Protocol: "tcp"}, {Port: 53, NodePort: 30053, Protocol: "udp"}},
			Endpoints: []EndpointInfo{{Addr: a("10.244.1.2"), Node: "node1", Ready: true}}}},
	}
}

// lbStats is HAProxy's view: rows as `show stat` gives them.
func lbStats(status4, status6 map[string]string) []haproxy.Stat {
	check := map[string]string{"UP": "L4OK", "DOWN": "L4CON", "UP-INI": "INI"}
	var out []haproxy.Stat
	for _, fam := range []struct {
		name   string
		status map[string]string
		addrs  []string
	}{{"default_web_80_v4", status4, []string{"10.0.0.11", "10.0.0.12"}}, {"default_web_80_v6", status6, []string{"fd00::11", "fd00::12"}}} {
		out = append(out, haproxy.Stat{Proxy: fam.name, Server: "FRONTEND", Type: "frontend", Status: "OPEN"})
		for i, ad := range fam.addrs {
			name := []string{"node1", "node2"}[i]
			out = append(out, haproxy.Stat{Proxy: fam.name, Server: name, Type: "server",
				Addr: netip.AddrPortFrom(netip.MustParseAddr(ad), 30080), Status: strings.TrimSuffix(fam.status[name], "-INI"), CheckStatus: check[fam.status[name]]})
		}
		out = append(out, haproxy.Stat{Proxy: fam.name, Server: "BACKEND", Type: "backend", Status: "UP"})
	}
	return out
}

func TestJudgeLBBackends(t *testing.T) {
	up := map[string]string{"node1": "UP", "node2": "UP"}
	onlyNode1 := map[string]string{"node1": "UP", "node2": "DOWN"}
	held := []netip.Addr{netip.MustParseAddr("203.0.113.2"), netip.MustParseAddr("203.0.113.100"), netip.MustParseAddr("2001:db8:e::100")}
	tests := []struct {
		name   string
		local  bool
		stats  []haproxy.Stat
		addrs  []netip.Addr
		want   Status
		reason string
	}{
		{"cluster, all up", false, lbStats(up, up), held, Passed, "2 frontends"},
		{"cluster, one down", false, lbStats(up, onlyNode1), held, Failed, "health checks pass on [fd00::11]:30080, want [fd00::11]:30080, [fd00::12]:30080"},
		{"cluster, up before the first check", false, lbStats(up, map[string]string{"node1": "UP", "node2": "UP-INI"}), held, Failed,
			"health checks pass on [fd00::11]:30080, want"},
		{"local, only the pod's node up", true, lbStats(onlyNode1, onlyNode1), held, Passed, "2 frontends"},
		{"local, a node without a pod up", true, lbStats(up, onlyNode1), held, Failed, "default_web_80_v4: HAProxy's health checks pass on"},
		{"IP not held", false, lbStats(up, up), held[:2], Failed, "the lb host does not hold 2001:db8:e::100"},
		{"no backend", false, lbStats(up, up)[:4], held, Failed, "no HAProxy backend default_web_80_v6"},
		{"stale backend", false, append(lbStats(up, up), haproxy.Stat{Proxy: "default_gone_80_v4", Server: "BACKEND", Type: "backend"}), held, Failed,
			"backends of no Service: default_gone_80_v4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := LBStateOf(tt.stats)
			st.Addrs = tt.addrs
			out := JudgeLBBackends(lbCluster(tt.local), "lblab.dev/external", st)
			if out.Status != tt.want || !strings.Contains(out.Summary, tt.reason) {
				t.Errorf("got %s %q, want %s containing %q", out.Status, out.Summary, tt.want, tt.reason)
			}
		})
	}
}

func TestJudgeNodePortOnly(t *testing.T) {
	ip := netip.MustParseAddr("203.0.113.100")
	seg := netip.MustParsePrefix("203.0.113.0/24")
	connected := iproute.Route{Dst: seg, Dev: "eth2", Protocol: "kernel", Nexthops: []iproute.Nexthop{}}
	host := iproute.Route{Dst: netip.PrefixFrom(ip, 32), Dev: "eth0", Protocol: "bgp",
		Nexthops: []iproute.Nexthop{{Gateway: netip.MustParseAddr("10.0.0.11")}}}
	tests := []struct {
		name   string
		ev     NodePortEvidence
		want   Status
		reason string
	}{
		{"segment only", NodePortEvidence{Segments: []netip.Prefix{seg}, Routes: map[netip.Addr][]iproute.Route{ip: {connected}}}, Passed, "1 LB IPs"},
		{"a host route", NodePortEvidence{Segments: []netip.Prefix{seg}, Routes: map[netip.Addr][]iproute.Route{ip: {connected, host}}}, Failed,
			"the TOR routes 203.0.113.100 by 203.0.113.100/32"},
		{"a BGP route", NodePortEvidence{Segments: []netip.Prefix{seg}, Routes: map[netip.Addr][]iproute.Route{ip: {connected}},
			BGP: map[netip.Addr][]netip.Prefix{ip: {netip.PrefixFrom(ip, 32)}}}, Failed, "BGP table has"},
		{"no segment route", NodePortEvidence{Segments: []netip.Prefix{seg}, Routes: map[netip.Addr][]iproute.Route{ip: {}}}, Failed,
			"no connected route of the lb segment"},
		{"nothing looked up", NodePortEvidence{Segments: []netip.Prefix{seg}}, Failed, "no LB IP was looked up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := JudgeNodePortOnly(tt.ev)
			if out.Status != tt.want || !strings.Contains(out.Summary, tt.reason) {
				t.Errorf("got %s %q, want %s containing %q", out.Status, out.Summary, tt.want, tt.reason)
			}
		})
	}
}
