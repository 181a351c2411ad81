package scenarios

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/dataplane"
	"github.com/lblab/lblab/internal/dataplane/cilium"
	"github.com/lblab/lblab/internal/dataplane/ipvs"
)

// TestIPVSFrontend: an IPVS virtual server counts only with its IP in the
// LB ipset of its own family, and the error names that set.
func TestIPVSFrontend(t *testing.T) {
	v4, v6 := netip.MustParseAddr("198.51.100.0"), netip.MustParseAddr("2001:db8:100::")
	rs := []ipvs.RealServer{{Address: netip.MustParseAddrPort("10.244.1.2:80"), Weight: 1}}
	d := &ipvs.Dump{Available: true, VirtualServers: []ipvs.VirtualServer{
		{Address: v4, Protocol: "tcp", Port: 80, RealServers: rs}, {Address: v6, Protocol: "tcp", Port: 80}}}
	sets := capturedSets(t)
	f, err := ipvsFrontend(d, ipvs.LBSetsOf(sets, false), nil, v4, "tcp", 80)
	if err != nil || joinAddrs(f.Backends) != "10.244.1.2:80" {
		t.Errorf("IPv4 in its set: %v %v", f.Backends, err)
	}
	if _, err := ipvsFrontend(d, ipvs.LBSets{}, nil, v6, "tcp", 80); err == nil || !strings.Contains(err.Error(), "not in ipset KUBE-6-LOAD-BALANCER") {
		t.Errorf("IPv6 missing from its set: %v", err)
	}
	if _, err := ipvsFrontend(d, ipvs.LBSetsOf(sets, false), nil, v4, "tcp", 443); err == nil || !strings.Contains(err.Error(), "no IPVS virtual server 198.51.100.0:443/tcp") {
		t.Errorf("no virtual server: %v", err)
	}
	unread := errors.New("failed to read the ipsets of node1")
	if _, err := ipvsFrontend(d, ipvs.LBSets{}, unread, v4, "tcp", 80); !errors.Is(err, unread) {
		t.Errorf("unreadable ipsets: %v", err)
	}
}

func capturedSets(t *testing.T) []ipvs.Set {
	t.Helper()
	sets, err := ipvs.ParseSets(testdata(t, "dataplane/ipvs", "kube-proxy-sets.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// capturedFirewall is kube-proxy's firewall rules of one family, from the
// uml node the ipsets were captured on.
func capturedFirewall(t *testing.T, v6 bool) ipvs.FirewallRules {
	t.Helper()
	name := "iptables-save.txt"
	if v6 {
		name = "ip6tables-save.txt"
	}
	return ipvs.ParseFirewallRules(testdata(t, "dataplane/ipvs", name), v6)
}

// rangesCluster is one dual-stack Service, "ranges", at the addresses of
// the captured ipsets and the Cilium inputs, with three endpoints per
// family and loadBalancerSourceRanges to be set.
func rangesCluster(ranges ...string) *Cluster {
	var eps []EndpointInfo
	for i, n := range []string{"node1", "node2", "node3"} {
		for _, a := range []string{"10.244.%d.4", "fd00:10:244:%d::4"} {
			eps = append(eps, EndpointInfo{Addr: netip.MustParseAddr(strings.Replace(a, "%d", string(rune('1'+i)), 1)), Node: n, Ready: true,
				Ports: map[string]uint16{"http": 80}})
		}
	}
	s := ServiceInfo{Namespace: "default", Name: "ranges", Type: "LoadBalancer", Families: []string{"IPv4", "IPv6"},
		LBIPs: addrs("198.51.100.2", "2001:db8:100::2"), Ports: []PortInfo{{Name: "http", Port: 80, Protocol: "tcp"}}, Endpoints: eps}
	for _, r := range ranges {
		s.SourceRanges = append(s.SourceRanges, netip.MustParsePrefix(r))
	}
	return &Cluster{Nodes: labCluster().Nodes, Services: []ServiceInfo{s}}
}

// ipvsObservations is node1's ipvs data plane for the Service's IPs:
// virtual servers with every endpoint, and the given ipsets.
func ipvsObservations(t *testing.T, c *Cluster, sets []ipvs.Set) map[string]Observation {
	t.Helper()
	return ipvsObservationsRules(c, sets, map[bool]ipvs.FirewallRules{false: capturedFirewall(t, false), true: capturedFirewall(t, true)})
}

// ipvsObservationsRules is ipvsObservations with the given firewall rules.
func ipvsObservationsRules(c *Cluster, sets []ipvs.Set, rules map[bool]ipvs.FirewallRules) map[string]Observation {
	s := c.Services[0]
	d := &ipvs.Dump{Available: true}
	for _, ip := range s.LBIPs {
		vs := ipvs.VirtualServer{Address: ip, Protocol: "tcp", Port: 80}
		for _, ep := range ExpectedBackends(s, s.Ports[0], ip, "node1") {
			vs.RealServers = append(vs.RealServers, ipvs.RealServer{Address: ep, Weight: 1})
		}
		d.VirtualServers = append(d.VirtualServers, vs)
	}
	out := map[string]Observation{}
	for _, ip := range s.LBIPs {
		l := ipvs.LBSetsOf(sets, ip.Is6())
		l.Rules = rules[ip.Is6()]
		f, err := ipvsFrontend(d, l, nil, ip, "tcp", 80)
		out[targetKey(ip, s.Ports[0])] = Observation{Frontend: f, Err: err}
	}
	return out
}

// webSrcCluster is the Service web-src of the ebpf lab whose node1 maps
// are captured in internal/dataplane/cilium/testdata (lab-dual), with the
// given loadBalancerSourceRanges.
func webSrcCluster(ranges ...string) *Cluster {
	var eps []EndpointInfo
	for node, ips := range map[string][]string{"node1": {"10.244.2.81", "fd00:10:244:2::2f2e"},
		"node2": {"10.244.0.69", "fd00:10:244::125e"}, "node3": {"10.244.4.101", "fd00:10:244:4::5803"}} {
		for _, ip := range ips {
			eps = append(eps, EndpointInfo{Addr: netip.MustParseAddr(ip), Node: node, Ready: true, Ports: map[string]uint16{"tcp-8080": 80}})
		}
	}
	s := ServiceInfo{Namespace: "default", Name: "web-src", Type: "LoadBalancer", Families: []string{"IPv4", "IPv6"},
		LBIPs: addrs("198.51.100.2", "2001:db8:100::2"), Ports: []PortInfo{{Name: "tcp-8080", Port: 8080, Protocol: "tcp"}}, Endpoints: eps}
	for _, r := range ranges {
		s.SourceRanges = append(s.SourceRanges, netip.MustParsePrefix(r))
	}
	return &Cluster{Nodes: labCluster().Nodes, Services: []ServiceInfo{s}}
}

// ciliumObservations is node1's captured Cilium LB map for the Service's
// IPs.
func ciliumObservations(t *testing.T, c *Cluster, ranges cilium.SourceRanges) map[string]Observation {
	fes, err := cilium.Parse(testdata(t, "dataplane/cilium", "bpf-lb-list.lab-dual.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Observation{}
	s := c.Services[0]
	for _, ip := range s.LBIPs {
		o := Observation{Err: errors.New("no frontend")}
		if f, ok := cilium.Lookup(fes, ip, "tcp", s.Ports[0].Port); ok {
			o = Observation{Frontend: f.Frontend(ranges)}
		}
		out[targetKey(ip, s.Ports[0])] = o
	}
	return out
}

func capturedCiliumRanges(t *testing.T) cilium.SourceRanges {
	r, err := cilium.ParseSourceRanges(testdata(t, "dataplane/cilium", "bpf-lb-list-source-ranges.lab-dual.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestJudgeRulesSourceRanges: dataplane-rules compares the Service's
// loadBalancerSourceRanges with the sources every data plane lets in. The
// ipvs and ebpf rows that fail used to pass: their ranges were not read.
func TestJudgeRulesSourceRanges(t *testing.T) {
	sets := capturedSets(t)
	noFW := []ipvs.Set{}
	for _, s := range sets {
		if !strings.Contains(s.Name, "-FW") {
			noFW = append(noFW, s)
		}
	}
	ranges := capturedCiliumRanges(t)
	tests := []struct {
		name   string
		mode   string
		c      *Cluster
		obs    func(c *Cluster) map[string]Observation
		status Status
		msg    string
	}{
		{"ipvs: the captured sets", "ipvs", rangesCluster("192.0.2.2/32", "2001:db8:c::2/128"),
			func(c *Cluster) map[string]Observation { return ipvsObservations(t, c, sets) }, Passed, ""},
		{"ipvs: ranges not in force (no FW entry)", "ipvs", rangesCluster("192.0.2.2/32", "2001:db8:c::2/128"),
			func(c *Cluster) map[string]Observation { return ipvsObservations(t, c, noFW) }, Failed,
			"node1: 198.51.100.2:80/tcp (default/ranges): source ranges [], want [192.0.2.2/32]"},
		{"ipvs: the sets filled, kube-proxy's firewall rules not yet written", "ipvs", rangesCluster("192.0.2.2/32", "2001:db8:c::2/128"),
			func(c *Cluster) map[string]Observation { return ipvsObservationsRules(c, sets, nil) }, Failed,
			"node1: 198.51.100.2:80/tcp (default/ranges): source ranges [], want [192.0.2.2/32]"},
		{"ipvs: other ranges", "ipvs", rangesCluster("192.0.2.0/24", "2001:db8:c::2/128"),
			func(c *Cluster) map[string]Observation { return ipvsObservations(t, c, sets) }, Failed,
			"source ranges [192.0.2.2/32], want [192.0.2.0/24]"},
		{"ipvs: filtered though the Service has no ranges", "ipvs", rangesCluster(),
			func(c *Cluster) map[string]Observation { return ipvsObservations(t, c, sets) }, Failed,
			"198.51.100.2:80/tcp (default/ranges): source ranges [192.0.2.2/32], want []"},
		{"ipvs: FW entry without its ranges drops everything", "ipvs", rangesCluster(),
			func(c *Cluster) map[string]Observation {
				var fwOnly []ipvs.Set
				for _, s := range sets {
					if !strings.Contains(s.Name, "SOURCE") {
						fwOnly = append(fwOnly, s)
					}
				}
				return ipvsObservations(t, c, fwOnly)
			}, Failed, "198.51.100.2:80/tcp (default/ranges): traffic from outside is dropped"},
		{"ipvs: one family's ranges only, the other family open", "ipvs", rangesCluster("192.0.2.2/32"),
			func(c *Cluster) map[string]Observation {
				v4only := []ipvs.Set{}
				for _, s := range sets {
					if !strings.HasPrefix(s.Name, "KUBE-6-") || s.Name == ipvs.LoadBalancerSetV6 {
						v4only = append(v4only, s)
					}
				}
				return ipvsObservations(t, c, v4only)
			}, Passed, ""},
		{"ebpf: the source-range maps", "ebpf", webSrcCluster("192.0.2.0/24", "2001:db8:2::/64"),
			func(c *Cluster) map[string]Observation { return ciliumObservations(t, c, ranges) }, Passed, ""},
		{"ebpf: a range missing from the map", "ebpf", webSrcCluster("192.0.2.0/24", "2001:db8:2::/48"),
			func(c *Cluster) map[string]Observation { return ciliumObservations(t, c, ranges) }, Failed,
			"[2001:db8:100::2]:8080/tcp (default/web-src): source ranges [2001:db8:2::/64], want [2001:db8:2::/48]"},
		{"ebpf: checked, no entries in the map", "ebpf", webSrcCluster("192.0.2.0/24", "2001:db8:2::/64"),
			func(c *Cluster) map[string]Observation { return ciliumObservations(t, c, nil) }, Failed,
			"traffic from outside is dropped"},
		{"a zero range lets everyone in, as none does", "ebpf", webSrcCluster("0.0.0.0/0"),
			func(c *Cluster) map[string]Observation {
				obs := ciliumObservations(t, c, ranges)
				for k, o := range obs { // frontends without the check flag
					o.Frontend.SourceRanges, o.Frontend.Drop = nil, false
					obs[k] = o
				}
				return obs
			}, Passed, ""},
	}
	for _, tt := range tests {
		out := JudgeRules(tt.c, []string{"node1"}, map[string]map[string]Observation{"node1": tt.obs(tt.c)}, tt.mode)
		if out.Status != tt.status || !strings.Contains(out.Summary, tt.msg) {
			t.Errorf("%s: %s %q, want %s %q", tt.name, out.Status, out.Summary, tt.status, tt.msg)
		}
	}
}

// TestBackendProblemDrop: a frontend that drops traffic from outside
// fails when endpoints are expected, whatever its backends say.
func TestBackendProblemDrop(t *testing.T) {
	ep := netip.MustParseAddrPort("10.244.1.2:80")
	f := dataplane.Frontend{Address: netip.MustParseAddr("198.51.100.0"), Backends: []netip.AddrPort{ep}, Drop: true}
	if p := backendProblem([]netip.AddrPort{ep}, f, nil); !strings.Contains(p, "dropped") {
		t.Errorf("problem %q", p)
	}
	if p := backendProblem(nil, f, nil); p != "" {
		t.Errorf("no endpoint expected, dropped: %q", p)
	}
}
