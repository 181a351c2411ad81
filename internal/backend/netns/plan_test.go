package netns

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/topology"
)

// addrJSON renders `ip -j addr show dev` output for a fake.
func addrJSON(dev string, ps []netip.Prefix) string {
	type ai struct {
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	}
	var infos []ai
	for _, p := range ps {
		infos = append(infos, ai{p.Addr().String(), p.Bits()})
	}
	out, _ := json.Marshal([]map[string]any{{"ifname": dev, "addr_info": infos}})
	return string(out)
}

func TestPlan(t *testing.T) {
	topo, err := topology.Load("bgp-ecmp-dual")
	if err != nil {
		t.Fatal(err)
	}
	topo.Network.IPv4Subnet, topo.Network.IPv6Subnet = "10.89.7.0/24", "fd00:89:7::/64"
	p, err := newPlan(topo)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range p.hosts() {
		got = append(got, fmt.Sprintf("%s %s %s %v gw=%v", h.name, h.ns, h.port, h.addrs, h.gws))
	}
	want := []string{
		"tor bgp-ecmp-dual_tor tor [10.89.7.1/24 fd00:89:7::1/64] gw=[]",
		"control-plane bgp-ecmp-dual_control-plane control-plane [10.89.7.10/24 fd00:89:7::a/64] gw=[10.89.7.1 fd00:89:7::1]",
		"node1 bgp-ecmp-dual_node1 node1 [10.89.7.11/24 fd00:89:7::b/64] gw=[10.89.7.1 fd00:89:7::1]",
		"node2 bgp-ecmp-dual_node2 node2 [10.89.7.12/24 fd00:89:7::c/64] gw=[10.89.7.1 fd00:89:7::1]",
		"node3 bgp-ecmp-dual_node3 node3 [10.89.7.13/24 fd00:89:7::d/64] gw=[10.89.7.1 fd00:89:7::1]",
		"client bgp-ecmp-dual_client  [192.0.2.2/24 2001:db8:c::2/64] gw=[192.0.2.1 2001:db8:c::1]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.routerID.String() != "10.89.7.1" || fmt.Sprint(p.mgmt) != "[10.89.7.2/24 fd00:89:7::2/64]" {
		t.Errorf("router id %s, mgmt %v", p.routerID, p.mgmt)
	}
	if len(p.hostLink) > 15 || !strings.HasPrefix(p.hostLink, "lbl") {
		t.Errorf("host link name %q", p.hostLink)
	}
}

func TestPlanIPv6OnlyRouterID(t *testing.T) {
	topo, _ := topology.Load("bgp-ecmp-v6")
	topo.Network.IPv6Subnet = "fd00:89:3::/64"
	p, err := newPlan(topo)
	if err != nil {
		t.Fatal(err)
	}
	if !p.routerID.Is4() || !netip.MustParsePrefix("10.255.0.0/16").Contains(p.routerID) {
		t.Errorf("IPv6-only router id %v, want an IPv4 in 10.255.0.0/16", p.routerID)
	}
}

func TestChooseSubnets(t *testing.T) {
	tests := []struct {
		name    string
		family  topology.IPFamily
		v4, v6  string
		used    []string
		want4   string
		want6   string
		wantErr string
	}{
		{name: "first free", family: topology.IPv4, want4: "10.89.0.0/24"},
		{name: "skip taken", family: topology.Dual, used: []string{"10.89.0.0/24", "fd00:89:1::/64"},
			want4: "10.89.2.0/24", want6: "fd00:89:2::/64"},
		{name: "host /16 blocks all", family: topology.IPv4, used: []string{"10.89.0.0/16"},
			wantErr: "no free node subnet"},
		{name: "given collides", family: topology.IPv4, v4: "10.0.0.0/24", used: []string{"10.0.0.0/8"},
			wantErr: "network.ipv4Subnet: 10.0.0.0/24 overlaps 10.0.0.0/8 (test)"},
		{name: "given ok, v6 auto", family: topology.Dual, v4: "10.50.0.0/24", want4: "10.50.0.0/24", want6: "fd00:89::/64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topo := &topology.Topology{Network: topology.Network{IPFamily: tt.family, IPv4Subnet: tt.v4, IPv6Subnet: tt.v6}}
			var used []inUse
			for _, u := range tt.used {
				used = append(used, inUse{prefix: netip.MustParsePrefix(u), what: "test"})
			}
			err := chooseSubnets(topo, used)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if topo.Network.IPv4Subnet != tt.want4 || topo.Network.IPv6Subnet != tt.want6 {
				t.Errorf("got %q %q, want %q %q", topo.Network.IPv4Subnet, topo.Network.IPv6Subnet, tt.want4, tt.want6)
			}
		})
	}
}

// TestPlanExternalLB: the lb host hangs off the TOR's eth2, on its own
// segment, with the TOR as its gateway.
func TestPlanExternalLB(t *testing.T) {
	topo, err := topology.Load("external-lb")
	if err != nil {
		t.Fatal(err)
	}
	topo.Network.IPv4Subnet, topo.Network.IPv6Subnet = "10.89.7.0/24", "fd00:89:7::/64"
	p, err := newPlan(topo)
	if err != nil {
		t.Fatal(err)
	}
	hosts := p.hosts()
	lb := hosts[len(hosts)-1]
	if got := fmt.Sprintf("%s %s %s %v gw=%v", lb.name, lb.ns, lb.role, lb.addrs, lb.gws); got !=
		"lb external-lb_lb lb [203.0.113.2/24 2001:db8:e::2/64] gw=[203.0.113.1 2001:db8:e::1]" {
		t.Errorf("lb host: %s", got)
	}
	lines := strings.Join(hostLines(p, p.tor), "\n")
	for _, want := range []string{"link add eth2 type veth peer name eth0 netns external-lb_lb", "addr replace 203.0.113.1/24 dev eth2",
		"addr replace 2001:db8:e::1/64 dev eth2 nodad"} {
		if !strings.Contains(lines, want) {
			t.Errorf("the TOR's lines lack %q:\n%s", want, lines)
		}
	}
	if kv := strings.Join(hostSysctls(lb), " "); strings.Contains(kv, "forwarding") {
		t.Errorf("the lb host forwards: %s", kv)
	}
}
