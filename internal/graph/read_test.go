package graph

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/scenarios"
)

var (
	a    = netip.MustParseAddr
	lbV4 = a("198.51.100.10")
	lbV6 = a("2001:db8:100::10")
)

func cluster(etpLocal bool) *scenarios.Cluster {
	return &scenarios.Cluster{
		Nodes: []scenarios.NodeInfo{
			{Name: "control-plane", Addrs: []netip.Addr{a("10.88.0.2"), a("fd00:88::2")}, Excluded: true, Ready: true},
			{Name: "node1", Addrs: []netip.Addr{a("10.88.0.3"), a("fd00:88::3")}, Ready: true},
			{Name: "node2", Addrs: []netip.Addr{a("10.88.0.4"), a("fd00:88::4")}, Ready: true},
			{Name: "node3", Addrs: []netip.Addr{a("10.88.0.5"), a("fd00:88::5")}, Ready: true},
		},
		Services: []scenarios.ServiceInfo{{
			Namespace: "default", Name: "web", Type: "LoadBalancer", ETPLocal: etpLocal,
			LBIPs: []netip.Addr{lbV4, lbV6},
			Endpoints: []scenarios.EndpointInfo{
				{Addr: a("10.244.1.2"), Node: "node1", Pod: "web-a", Ready: true},
				{Addr: a("fd00:244:1::2"), Node: "node1", Pod: "web-a", Ready: true},
				{Addr: a("10.244.2.2"), Node: "node2", Pod: "web-b", Ready: false},
			},
		}},
	}
}

func route(ip netip.Addr, gws ...string) iproute.Route {
	r := iproute.Route{Dst: netip.PrefixFrom(ip, ip.BitLen()), Protocol: "bgp"}
	for _, gw := range gws {
		r.Nexthops = append(r.Nexthops, iproute.Nexthop{Gateway: a(gw)})
	}
	return r
}

func TestFanOut(t *testing.T) {
	tests := []struct {
		name     string
		etpLocal bool
		routes   map[bool][]iproute.Route
		want     []LBIP
	}{{
		name: "every eligible node in the route, pods of the IP's family",
		routes: map[bool][]iproute.Route{
			false: {route(lbV4, "10.88.0.3", "10.88.0.4", "10.88.0.5")},
			true:  {route(lbV6, "fd00:88::3", "fd00:88::4", "fd00:88::5")},
		},
		want: []LBIP{{
			Service: "default/web", IP: lbV4, Nexthops: []string{"node1", "node2", "node3"},
			Nodes: []Fan{
				{Node: "node1", InRoute: true, Eligible: true, Pods: []Pod{{Name: "web-a", Addr: a("10.244.1.2"), Ready: true}}},
				{Node: "node2", InRoute: true, Eligible: true, Pods: []Pod{{Name: "web-b", Addr: a("10.244.2.2")}}},
				{Node: "node3", InRoute: true, Eligible: true},
			},
		}, {
			Service: "default/web", IP: lbV6, Nexthops: []string{"node1", "node2", "node3"},
			Nodes: []Fan{
				{Node: "node1", InRoute: true, Eligible: true, Pods: []Pod{{Name: "web-a", Addr: a("fd00:244:1::2"), Ready: true}}},
				{Node: "node2", InRoute: true, Eligible: true},
				{Node: "node3", InRoute: true, Eligible: true},
			},
		}},
	}, {
		name:     "externalTrafficPolicy Local: a node without a ready endpoint in the route, a stranger, no IPv6 route",
		etpLocal: true,
		routes: map[bool][]iproute.Route{
			false: {route(lbV4, "10.88.0.4", "10.88.0.9")},
		},
		want: []LBIP{{
			Service: "default/web", IP: lbV4, ETPLocal: true, Nexthops: []string{"node2"}, Strangers: []netip.Addr{a("10.88.0.9")},
			Nodes: []Fan{
				{Node: "node1", Eligible: true, Pods: []Pod{{Name: "web-a", Addr: a("10.244.1.2"), Ready: true}}},
				{Node: "node2", InRoute: true, Pods: []Pod{{Name: "web-b", Addr: a("10.244.2.2")}}},
			},
		}, {
			Service: "default/web", IP: lbV6, ETPLocal: true,
			Nodes: []Fan{
				{Node: "node1", Eligible: true, Pods: []Pod{{Name: "web-a", Addr: a("fd00:244:1::2"), Ready: true}}},
			},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FanOut(cluster(tt.etpLocal), tt.routes)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FanOut:\n got %+v\nwant %+v", got, tt.want)
			}
			for _, l := range got {
				for _, f := range l.Nodes {
					if want := tt.etpLocal && f.Node == "node2" && l.IP == lbV4; f.Stray() != want {
						t.Errorf("%s on %s: Stray() = %v, want %v", f.Node, l.IP, f.Stray(), want)
					}
				}
			}
		})
	}
}

func TestFanOutVIP(t *testing.T) {
	hosts := []lab.Node{
		{Name: "tor", Role: lab.RoleTOR},
		{Name: "control-plane", Role: lab.RoleControlPlane, VIPAddrs: []netip.Addr{a("10.89.0.15")}},
		{Name: "control-plane2", Role: lab.RoleControlPlane, VIPAddrs: []netip.Addr{a("10.89.0.16")}},
		{Name: "node1", Role: lab.RoleWorker},
	}
	routes := map[bool][]iproute.Route{false: {{Dst: netip.MustParsePrefix("10.90.0.1/32"),
		Nexthops: []iproute.Nexthop{{Gateway: a("10.89.0.16")}, {Gateway: a("10.89.0.99")}}}}}
	got := FanOutVIP(hosts, []netip.Addr{a("10.90.0.1")}, routes)
	if len(got) != 1 || got[0].Service != VIPService || !slices.Equal(got[0].Nexthops, []string{"control-plane2"}) ||
		!slices.Equal(got[0].Strangers, []netip.Addr{a("10.89.0.99")}) || len(got[0].Nodes) != 2 ||
		got[0].Nodes[0].InRoute || !got[0].Nodes[1].InRoute || !got[0].Nodes[0].Eligible {
		t.Errorf("%+v", got)
	}
}

func TestFanOutVIPL2(t *testing.T) {
	hosts := []lab.Node{
		{Name: "tor", Role: lab.RoleTOR},
		{Name: "control-plane", Role: lab.RoleControlPlane},
		{Name: "control-plane2", Role: lab.RoleControlPlane},
		{Name: "node1", Role: lab.RoleWorker},
	}
	answered := map[netip.Addr][]string{a("10.89.0.240"): {"control-plane2", scenarios.UnknownMAC + "02:00:00:00:00:01"}}
	got := FanOutVIPL2(hosts, []netip.Addr{a("10.89.0.240")}, answered)
	if len(got) != 1 || got[0].Service != VIPService || !got[0].L2 || !slices.Equal(got[0].Nexthops, []string{"control-plane2"}) ||
		got[0].Unknown != 1 || len(got[0].Nodes) != 2 || got[0].Nodes[0].InRoute || !got[0].Nodes[1].InRoute {
		t.Errorf("%+v", got)
	}
}
