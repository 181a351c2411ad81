package announcer

import (
	"net/netip"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

func TestAssign(t *testing.T) {
	ip := netip.MustParseAddr
	nodes := map[string]map[string]string{
		"node1": {"zone": "a"}, "node2": {"zone": "b"}, "node3": {"zone": "a"},
	}
	all := []string{"node1", "node2", "node3"}
	zoneA, _ := labels.Parse("zone=a")
	web := Service{Key: "default/web", IPs: []netip.Addr{ip("10.89.0.192"), ip("fd00:89::c0")}, Pool: "default"}
	local := Service{Key: "default/local", IPs: []netip.Addr{ip("10.89.0.193")}, Pool: "default", Local: true}
	other := Service{Key: "default/other", IPs: []netip.Addr{ip("10.89.0.194")}, Pool: "other"}
	every := Advertisement{Name: "default"}
	ready := map[string]map[string]bool{"default/web": {"node1": true}, "default/other": {"node2": true}}
	cases := []struct {
		name string
		in   Inputs
		want map[string][]string // IP → allowed owners ("" = none)
	}{
		{"every live node may own", Inputs{Services: []Service{web}, Advs: []Advertisement{every}, Ready: ready, Nodes: nodes, Live: all},
			map[string][]string{"10.89.0.192": all, "fd00:89::c0": all}},
		{"dead nodes never own", Inputs{Services: []Service{web}, Advs: []Advertisement{every}, Ready: ready, Nodes: nodes, Live: []string{"node2"}},
			map[string][]string{"10.89.0.192": {"node2"}, "fd00:89::c0": {"node2"}}},
		{"nobody alive", Inputs{Services: []Service{web}, Advs: []Advertisement{every}, Ready: ready, Nodes: nodes},
			map[string][]string{"10.89.0.192": {""}, "fd00:89::c0": {""}}},
		{"Local needs a ready endpoint on the node", Inputs{Services: []Service{local}, Advs: []Advertisement{every}, Nodes: nodes, Live: all,
			Ready: map[string]map[string]bool{"default/local": {"node3": true}}}, map[string][]string{"10.89.0.193": {"node3"}}},
		{"Local without endpoints has no owner", Inputs{Services: []Service{local}, Advs: []Advertisement{every}, Nodes: nodes, Live: all},
			map[string][]string{"10.89.0.193": {""}}},
		{"node selector", Inputs{Services: []Service{web}, Advs: []Advertisement{{Name: "a", Selectors: []labels.Selector{zoneA}}}, Ready: ready, Nodes: nodes, Live: all},
			map[string][]string{"10.89.0.192": {"node1", "node3"}, "fd00:89::c0": {"node1", "node3"}}},
		{"a pool no advertisement names is not announced", Inputs{Services: []Service{other}, Advs: []Advertisement{{Name: "d", Pools: []string{"default"}}}, Ready: ready, Nodes: nodes, Live: all},
			map[string][]string{}},
		{"no ready endpoint anywhere, no owner", Inputs{Services: []Service{web}, Advs: []Advertisement{every}, Nodes: nodes, Live: all},
			map[string][]string{"10.89.0.192": {""}, "fd00:89::c0": {""}}},
		{"no advertisement, no announcement", Inputs{Services: []Service{web}, Ready: ready, Nodes: nodes, Live: all}, map[string][]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Assign(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("assignments %+v, want IPs %v", got, tc.want)
			}
			for _, a := range got {
				allowed, ok := tc.want[a.IP.String()]
				if !ok || !contains(allowed, a.Owner) {
					t.Errorf("%s owned by %q, want one of %q", a.IP, a.Owner, allowed)
				}
			}
		})
	}
}

// TestAssignAgrees: two speakers with the same inputs in another order
// pick the same owners.
func TestAssignAgrees(t *testing.T) {
	ip := netip.MustParseAddr
	a := Service{Key: "ns/a", IPs: []netip.Addr{ip("10.89.0.192")}}
	b := Service{Key: "ns/b", IPs: []netip.Addr{ip("10.89.0.192"), ip("10.89.0.193")}}
	nodes := map[string]map[string]string{"n1": nil, "n2": nil, "n3": nil}
	ready := map[string]map[string]bool{"ns/a": {"n1": true}, "ns/b": {"n2": true}}
	in1 := Inputs{Services: []Service{a, b}, Advs: []Advertisement{{}}, Ready: ready, Nodes: nodes, Live: []string{"n1", "n2", "n3"}}
	in2 := Inputs{Services: []Service{b, a}, Advs: []Advertisement{{}}, Ready: ready, Nodes: nodes, Live: []string{"n3", "n1", "n2"}}
	x, y := Assign(in1), Assign(in2)
	if len(x) != 2 || len(y) != 2 {
		t.Fatalf("%+v %+v", x, y)
	}
	for i := range x {
		if x[i].Owner != y[i].Owner || x[i].Service != y[i].Service {
			t.Errorf("%+v != %+v", x[i], y[i])
		}
	}
	if x[0].Service != "ns/a" {
		t.Errorf("a shared IP goes with the first Service by key: %+v", x[0])
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
