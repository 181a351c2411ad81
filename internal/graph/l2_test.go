package graph_test

import (
	"net/netip"
	"testing"

	"github.com/lblab/lblab/internal/graph"
	"github.com/lblab/lblab/scenarios"
)

// TestDOTL2 draws an L2 lab: one owner per LB IP is a bold blue "ARP
// owner" (or "NDP owner") edge; two answers, an answer from an ineligible
// node and silence are drawn as problems; eligible nodes that do not own
// the IP get no edge.
func TestDOTL2(t *testing.T) {
	c := &scenarios.Cluster{
		Nodes: []scenarios.NodeInfo{
			{Name: "node1", Addrs: []netip.Addr{addr("10.88.0.3")}},
			{Name: "node2", Addrs: []netip.Addr{addr("10.88.0.4")}},
			{Name: "node3", Addrs: []netip.Addr{addr("10.88.0.5")}, Excluded: true},
		},
		Services: []scenarios.ServiceInfo{{Namespace: "default", Name: "web", Type: "LoadBalancer",
			LBIPs:     []netip.Addr{addr("10.88.0.192"), addr("fd00:88::c0"), addr("10.88.0.193"), addr("10.88.0.194"), addr("10.88.0.195")},
			Endpoints: []scenarios.EndpointInfo{{Addr: addr("10.244.1.2"), Node: "node1", Pod: "web-a", Ready: true}}}},
	}
	ev := []scenarios.L2Evidence{
		{IP: addr("10.88.0.192"), Owners: []string{"node2"}},
		{IP: addr("fd00:88::c0"), Owners: []string{"node1"}},
		{IP: addr("10.88.0.193"), Owners: []string{"node1", "node2"}},
		{IP: addr("10.88.0.194"), Owners: []string{"node3"}},
		{IP: addr("10.88.0.195")},
	}
	g := &graph.Graph{Lab: "l2", Hosts: []graph.Host{{Name: "tor", Role: "tor"}, {Name: "node1", Role: "worker"},
		{Name: "node2", Role: "worker"}, {Name: "node3", Role: "worker"}}, LBIPs: graph.FanOutL2(c, ev)}
	_, d := dotOf(t, g, graph.Options{})
	tests := []struct{ from, to, label, color string }{
		{"lbip/10.88.0.192", "host/node2", "ARP owner", "#1565c0"},
		{"lbip/fd00:88::c0", "host/node1", "NDP owner", "#1565c0"},
		{"lbip/10.88.0.193", "host/node1", "ARP: 2 answer", "#e65100"},
		{"lbip/10.88.0.193", "host/node2", "ARP: 2 answer", "#e65100"},
		{"lbip/10.88.0.194", "host/node3", "ARP owner, not eligible", "#e65100"},
		{"host/tor", "lbip/10.88.0.195", "nobody answers ARP", "#c62828"},
	}
	for _, tt := range tests {
		a := d.edge(t, tt.from, tt.to)
		if a["label"] != tt.label || a["color"] != tt.color {
			t.Errorf("%s -> %s: label %q color %q, want %q %q", tt.from, tt.to, a["label"], a["color"], tt.label, tt.color)
		}
	}
	for _, e := range d.edges {
		if e.from == "lbip/10.88.0.192" && e.to == "host/node1" {
			t.Errorf("an eligible node that does not own the IP has an edge from it: %v", e.attrs)
		}
	}
}
