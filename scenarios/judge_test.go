package scenarios

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

// TestRegistry: every name of topology.ScenarioNames (the one list) has
// its check, in that order, and a registry that misses a name or holds
// one the list lacks is refused.
func TestRegistry(t *testing.T) {
	var got []string
	for _, c := range All() {
		got = append(got, c.Name)
		if c.Description == "" || c.Run == nil {
			t.Errorf("check %s has no description or no Run", c.Name)
		}
	}
	if !slices.Equal(got, topology.ScenarioNames) {
		t.Errorf("checks %v, topology.ScenarioNames %v", got, topology.ScenarioNames)
	}
	if _, err := Select([]string{"ecmp-rib", "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Select with an unknown name: %v", err)
	}
	if cs, err := Select([]string{topology.ScenarioECMPFIB}); err != nil || len(cs) != 1 || cs[0].Name != "ecmp-fib" {
		t.Errorf("Select(ecmp-fib) = %+v, %v", cs, err)
	}
	short := map[string]func() Check{}
	for n, f := range registry {
		short[n] = f
	}
	delete(short, topology.ScenarioETPLocal)
	short["ecmp-everything"] = checkECMPRIB
	if err := registryComplete(topology.ScenarioNames, short); err == nil ||
		!strings.Contains(err.Error(), "no check for [etp-local]") || !strings.Contains(err.Error(), "[ecmp-everything]") {
		t.Errorf("an incomplete registry: %v", err)
	}
}

func TestEligibleNodes(t *testing.T) {
	c := labCluster()
	web, _ := c.Service("default/web")
	local, _ := c.Service("default/local")
	if got := EligibleNodes(c, web); !slices.Equal(got, []string{"node1", "node2", "node3"}) {
		t.Errorf("web: %v", got)
	}
	if got := EligibleNodes(c, local); !slices.Equal(got, []string{"node1", "node2"}) {
		t.Errorf("local (ETP Local): %v", got)
	}
	c.Nodes[0].Excluded = true
	c.Nodes[1].NetworkUnavailable = true
	if got := EligibleNodes(c, web); !slices.Equal(got, []string{"node3"}) {
		t.Errorf("excluded node1, NetworkUnavailable node2: %v", got)
	}
	for i := range web.Endpoints {
		web.Endpoints[i].Ready = false
	}
	if got := EligibleNodes(c, web); len(got) != 0 {
		t.Errorf("no ready endpoint: %v, want none (the IP is withdrawn)", got)
	}
	if got := NodeAddrs(labCluster(), []string{"node2", "node1"}, netip.MustParseAddr("2001:db8::1")); joinAddrs(got) != "fd00:89::b, fd00:89::c" {
		t.Errorf("NodeAddrs v6: %v", got)
	}
}

func TestJudgeAllocation(t *testing.T) {
	want := map[string]string{"default/web": "default", "default/local": ""}
	c := labCluster()
	if out := JudgeAllocation(c, want, labPools()); out.Status != Passed {
		t.Fatalf("good: %s", out.Summary)
	}
	c.Services[0].LBIPs = addrs("198.51.100.0") // asked for IPv6 too
	c.Services[1].LBIPs = addrs("203.0.113.5", "2001:db8:100::1")
	out := JudgeAllocation(c, want, labPools())
	for _, msg := range []string{"default/web has no IPv6 external IP", "default/local has 203.0.113.5, outside every pool"} {
		if out.Status != Failed || !strings.Contains(out.Summary, msg) {
			t.Errorf("want %q in %q", msg, out.Summary)
		}
	}
	// A controller without IPv6 (MetalLB native): web's IPv4 address is
	// judged, the missing IPv6 one is named as not judged, with why.
	c = labCluster()
	c.Services[0].LBIPs = addrs("198.51.100.0")
	c.Unserved = map[string]string{"IPv6": "no IPv6 here"}
	out = JudgeAllocation(c, want, labPools())
	if out.Status != Passed || !strings.Contains(out.Summary, "IPv6 not judged: no IPv6 here") {
		t.Errorf("unserved IPv6: %s %q", out.Status, out.Summary)
	}
	c.Services[0].LBIPs = addrs("198.51.100.0", "198.51.100.1")
	if out := JudgeAllocation(c, want, labPools()); out.Status != Failed {
		t.Errorf("two IPv4 IPs with IPv6 unserved: %s %q", out.Status, out.Summary)
	}
	c.Services = c.Services[:1]
	c.Services[0].LBIPs = nil
	out = JudgeAllocation(c, want, labPools())
	if !strings.Contains(out.Summary, "default/web has no external IP") || !strings.Contains(out.Summary, "found 1 of the topology's 2") {
		t.Errorf("no IP, missing Service: %q", out.Summary)
	}
}

func ribs(t *testing.T, v4file string) map[bool]*frr.RIB {
	t.Helper()
	r4, err := frr.ParseRIB(testdata(t, "frr", v4file))
	if err != nil {
		t.Fatal(err)
	}
	r6, err := frr.ParseRIB(testdata(t, "frr", "routes-ipv6.json"))
	if err != nil {
		t.Fatal(err)
	}
	return map[bool]*frr.RIB{false: r4, true: r6}
}

func TestJudgeRIB(t *testing.T) {
	// Captured: .0 and ::0 via node1..3; .1 and ::1 via node1 and node2.
	c := labCluster()
	if out := JudgeRIB(Expectations(c), ribs(t, "routes-ipv4.json"), c.Held, labPools()); out.Status != Passed {
		t.Fatalf("captured table: %s", out.Summary)
	}
	tests := []struct {
		name   string
		mutate func(c *Cluster)
		v4file string
		msg    string
	}{
		{"missing next hop", func(c *Cluster) {
			c.Nodes = append(c.Nodes, NodeInfo{Name: "node4", Addrs: addrs("10.89.0.14", "fd00:89::e")})
		}, "routes-ipv4.json", "198.51.100.0/32 (default/web): missing next hop 10.89.0.14"},
		{"extra next hop", func(c *Cluster) { c.Nodes[2].Excluded = true }, "routes-ipv4.json",
			"198.51.100.0/32 (default/web): extra next hop 10.89.0.13"},
		{"stale route", func(c *Cluster) { c.Services = c.Services[:1]; c.Held = c.Held[:2] }, "routes-ipv4.json",
			"stale route 198.51.100.1/32 in the BGP table"},
		{"lost path", func(c *Cluster) {}, "routes-single-ipv4.json", "198.51.100.1/32 (default/local): missing next hop 10.89.0.12"},
		{"no route", func(c *Cluster) { c.Services[0].LBIPs = addrs("198.51.100.5") }, "routes-ipv4.json",
			"198.51.100.5/32 (default/web): no BGP route"},
	}
	for _, tt := range tests {
		c := labCluster()
		tt.mutate(c)
		out := JudgeRIB(Expectations(c), ribs(t, tt.v4file), c.Held, labPools())
		if out.Status != Failed || !strings.Contains(out.Summary, tt.msg) {
			t.Errorf("%s: %s %q, want %q", tt.name, out.Status, out.Summary, tt.msg)
		}
	}
	// A path that is valid but not selected for multipath (different AS path).
	rib, _ := frr.ParseRIB(testdata(t, "frr", "routes-ipv4.json"))
	rt := &rib.Routes[0]
	rt.Paths[1].Multipath, rt.Paths[1].ASPath = false, []uint32{64500, 64500}
	c = labCluster()
	out := JudgeRIB(Expectations(c)[:1], map[bool]*frr.RIB{false: rib}, c.Held[:1], labPools())
	if out.Status != Failed || !strings.Contains(out.Summary, "not selected for multipath") {
		t.Errorf("unselected path: %q", out.Summary)
	}
}

func fib(t *testing.T, files ...string) []iproute.Route {
	var out []iproute.Route
	for _, f := range files {
		rs, err := iproute.Parse(testdata(t, "iproute", f))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rs...)
	}
	return out
}

func TestJudgeFIB(t *testing.T) {
	c := labCluster()
	// routes-ipv4.json: .0 via 3 nodes, .1 via node1+node2 (multipath).
	if out := JudgeFIB(Expectations(c), fib(t, "routes-ipv4.json", "routes-ipv6.json"), c.Held, labPools()); out.Status != Passed {
		t.Fatalf("captured routes: %s", out.Summary)
	}
	tests := []struct {
		name   string
		mutate func(c *Cluster)
		files  []string
		msg    string
	}{
		{"missing next hop (single path left)", func(c *Cluster) {}, []string{"single-ipv4.json", "routes-ipv6.json"},
			"198.51.100.1/32 (default/local): missing next hop 10.89.0.12 (want 10.89.0.11, 10.89.0.12, have 10.89.0.11)"},
		{"extra next hop", func(c *Cluster) { c.Nodes[0].Excluded = true }, []string{"routes-ipv4.json", "routes-ipv6.json"},
			"198.51.100.0/32 (default/web): extra next hop 10.89.0.11"},
		{"stale route", func(c *Cluster) { c.Services = c.Services[:1]; c.Held = c.Held[:2] }, []string{"routes-ipv4.json", "routes-ipv6.json"},
			"stale kernel route 198.51.100.1/32 via 10.89.0.11, 10.89.0.12"},
		{"no route", func(c *Cluster) {}, []string{"routes-ipv4.json"}, "2001:db8:100::/128 (default/web): no kernel route"},
	}
	for _, tt := range tests {
		c := labCluster()
		tt.mutate(c)
		out := JudgeFIB(Expectations(c), fib(t, tt.files...), c.Held, labPools())
		if out.Status != Failed || !strings.Contains(out.Summary, tt.msg) {
			t.Errorf("%s: %s %q, want %q", tt.name, out.Status, out.Summary, tt.msg)
		}
	}
	// A second kernel route for an LB IP beside the right multipath one
	// (here the captured single-path route of 198.51.100.1, as if left with
	// another metric): not one multipath route.
	routes := fib(t, "routes-ipv4.json", "routes-ipv6.json")
	single, _ := iproute.Lookup(fib(t, "single-ipv4.json"), netip.MustParsePrefix("198.51.100.1/32"))
	single.Metric = 100
	out := JudgeFIB(Expectations(labCluster()), append(routes, single), labCluster().Held, labPools())
	if out.Status != Failed || !strings.Contains(out.Summary, "198.51.100.1/32 (default/local): 2 kernel routes, want one (multipath) route") {
		t.Errorf("two kernel routes: %s %q", out.Status, out.Summary)
	}
}

// TestTableFamilies: the route checks read a family's table when a Service
// holds an IP of it or a pool has addresses of it, so that a stale route
// left after the last Service of a family is seen.
func TestTableFamilies(t *testing.T) {
	v4 := []netip.Addr{netip.MustParseAddr("198.51.100.0")}
	if got := tableFamilies(v4, labPools()); !slices.Equal(got, []bool{false, true}) {
		t.Errorf("IPv4 IPs held, dual-stack pool: families %v, want both", got)
	}
	only4 := map[string][]netaddr.Range{"default": labPools()["default"][:1]}
	if got := tableFamilies(v4, only4); !slices.Equal(got, []bool{false}) {
		t.Errorf("IPv4 only: families %v", got)
	}
	// What reading the IPv6 table then finds: the IPv6 route of a deleted
	// dual-stack Service, which no Service holds any more.
	c := labCluster()
	c.Services, c.Held = c.Services[:1], c.Held[:1]
	c.Services[0].LBIPs = c.Held
	out := JudgeRIB(Expectations(c), ribs(t, "routes-ipv4.json"), c.Held, labPools())
	if out.Status != Failed || !strings.Contains(out.Summary, "stale route 2001:db8:100::/128") {
		t.Errorf("stale IPv6 route: %s %q", out.Status, out.Summary)
	}
}

// A family the controller cannot serve is not expected: no "no IPv6
// external IP to route" for a dual-stack Service holding IPv4 only, while
// a missing IPv4 address still is one.
func TestExpectationsUnserved(t *testing.T) {
	c := labCluster()
	c.Services[0].LBIPs = addrs("198.51.100.0")
	problems := func() []string {
		var out []string
		for _, e := range Expectations(c) {
			if e.Service == "default/web" && e.Problem != "" {
				out = append(out, e.Problem)
			}
		}
		return out
	}
	if got := problems(); len(got) != 1 || got[0] != "no IPv6 external IP to route" {
		t.Fatalf("IPv6 served: problems %q, want the missing IPv6 one", got)
	}
	c.Unserved = map[string]string{"IPv6": "no IPv6 here"}
	if got := problems(); len(got) != 0 {
		t.Errorf("IPv6 unserved: problems %q, want none", got)
	}
	c.Services[0].LBIPs = addrs("2001:db8:100::1")
	if got := problems(); len(got) != 1 || got[0] != "no IPv4 external IP to route" {
		t.Errorf("IPv6 unserved, IPv4 missing: problems %q, want the missing IPv4 one", got)
	}
}
