package scenarios

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

// The inputs of these tests are ones on which a check passed while the
// thing it names was broken: an IP of one family of two, a Service
// without an IP beside one with, an empty list of nodes, a route with a
// next hop too few or unusable, a run that never had a route to withdraw.
// Each must fail now (or, where the lab cannot show the thing at all,
// say so as skipped).

func wantOutcome(t *testing.T, name string, out Outcome, status Status, msg string) {
	t.Helper()
	if out.Status != status || !strings.Contains(out.Summary, msg) {
		t.Errorf("%s: %s %q, want %s %q", name, out.Status, out.Summary, status, msg)
	}
}

func TestWrongPassAllocation(t *testing.T) {
	want := map[string]string{"default/web": "default", "default/local": ""}
	for _, tt := range []struct {
		name   string
		mutate func(c *Cluster)
		msg    string
	}{
		{"an IP of a family it did not ask for", func(c *Cluster) { c.Services[0].Families = []string{"IPv4"} },
			"default/web has IPv6 external IP 2001:db8:100:: but asked for IPv4 only"},
		{"two IPs of one family", func(c *Cluster) {
			c.Services[0].LBIPs = append(c.Services[0].LBIPs, netip.MustParseAddr("198.51.100.5"))
		},
			"default/web has 2 IPv4 external IPs (198.51.100.0, 198.51.100.5), want one"},
	} {
		c := labCluster()
		tt.mutate(c)
		wantOutcome(t, tt.name, JudgeAllocation(c, want, labPools()), Failed, tt.msg)
	}
}

func TestWrongPassRoutes(t *testing.T) {
	routes := func(c *Cluster) []iproute.Route { return fib(t, "routes-ipv4.json", "routes-ipv6.json") }
	for _, tt := range []struct {
		name   string
		mutate func(c *Cluster)
		routes func(c *Cluster) []iproute.Route
		msg    string
	}{
		{"a Service without an IP beside one with", func(c *Cluster) { c.Services[1].LBIPs = nil; c.Held = c.Held[:2] },
			func(c *Cluster) []iproute.Route {
				var out []iproute.Route
				for _, r := range routes(c) {
					if r.Dst.Addr() != netip.MustParseAddr("198.51.100.1") && r.Dst.Addr() != netip.MustParseAddr("2001:db8:100::1") {
						out = append(out, r)
					}
				}
				return out
			}, "default/local: no IPv4 external IP to route; default/local: no IPv6 external IP to route"},
		{"one family of two", func(c *Cluster) { c.Services[0].LBIPs = c.Services[0].LBIPs[:1] },
			routes, "default/web: no IPv6 external IP to route"},
		{"an eligible node without an address of the family, and its next hop missing", func(c *Cluster) { c.Nodes[2].Addrs = c.Nodes[2].Addrs[:1] },
			func(c *Cluster) []iproute.Route {
				rs := routes(c)
				for i, r := range rs {
					if r.Dst == netip.MustParsePrefix("2001:db8:100::/128") {
						rs[i].Nexthops = r.Nexthops[:2]
					}
				}
				return rs
			}, "2001:db8:100::/128 (default/web): eligible node node3 has no IPv6 address to be a next hop"},
		{"a next hop the kernel does not forward over", func(c *Cluster) {},
			func(c *Cluster) []iproute.Route {
				rs := routes(c)
				for i, r := range rs {
					if r.Dst == netip.MustParsePrefix("198.51.100.0/32") {
						rs[i].Nexthops[1].Flags = []string{"linkdown"} // 10.89.0.1x (linkdown)
					}
				}
				return rs
			}, "(linkdown)"},
	} {
		c := labCluster()
		tt.mutate(c)
		wantOutcome(t, "FIB: "+tt.name, JudgeFIB(Expectations(c), tt.routes(c), c.Held, labPools()), Failed, tt.msg)
	}
	// The BGP table, with a dual-stack Service holding its IPv4 IP only.
	c := labCluster()
	c.Services[0].LBIPs = c.Services[0].LBIPs[:1]
	wantOutcome(t, "RIB: one family of two", JudgeRIB(Expectations(c), ribs(t, "routes-ipv4.json"), c.Held, labPools()), Failed,
		"default/web: no IPv6 external IP to route")
}

func TestWrongPassRules(t *testing.T) {
	c := labCluster()
	node1 := observeIPT(t, c, "kube-proxy-ipv4.txt", "kube-proxy-ipv6.txt")
	wantOutcome(t, "no nodes", JudgeRules(c, nil, nil, "iptables"), Failed, "the lab has no Kubernetes node")
	c.Services[0].LBIPs = c.Services[0].LBIPs[:1]
	wantOutcome(t, "one family of two", JudgeRules(c, []string{"node1"}, map[string]map[string]Observation{"node1": node1}, "iptables"),
		Failed, "default/web has no IPv6 external IP")
}

func TestWrongPassReachability(t *testing.T) {
	c := labCluster()
	c.Services = c.Services[:1]
	client := lab.Node{Name: "client", Role: lab.RoleClient, Addrs: addrs("192.0.2.2")} // no IPv6 address
	targets := Targets(c, []lab.Node{client})
	ok := Batch{Source: "client", URL: "http://198.51.100.0:80/", Sent: 3, OK: 3}
	wantOutcome(t, "a family no source has", JudgeReachability([]Batch{ok}, Unreached(targets)...), Failed,
		"http://[2001:db8:100::]:80/ (default/web) is not tested: no source host has an IPv6 address")
	c.Services[0].SourceRanges = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8:ff::/64")}
	c.Services[0].LBIPs = c.Services[0].LBIPs[:1]
	c.Services[0].Families = []string{"IPv4"}
	wantOutcome(t, "every source outside the ranges", JudgeReachability(nil, Unreached(Targets(c, []lab.Node{client}))...), Failed,
		"every source host (client) is outside its loadBalancerSourceRanges")
}

func TestWrongPassTimelines(t *testing.T) {
	ip := netip.MustParseAddr("198.51.100.7")
	v6 := netip.MustParseAddr("2001:db8:100::7")
	n := addrs("10.89.0.11", "10.89.0.12", "10.89.0.13")
	wantOutcome(t, "withdraw: never routed", JudgeWithdraw(WithdrawEvidence{IPs: []netip.Addr{ip}, Freed: true}), Failed,
		"198.51.100.7 was never routed before the delete")

	etp := ETPEvidence{Replicas: 2, Nodes: 3, Before: map[netip.Addr][]netip.Addr{ip: n},
		After: map[netip.Addr][]netip.Addr{ip: n[:2]}, Want: map[netip.Addr][]netip.Addr{ip: n[:2]},
		ClientIPs: addrs("192.0.2.2"), Requests: 2, Answered: 2, Logged: []string{`192.0.2.2 - - [x] "GET / HTTP/1.1" 200 615`}}
	noEndpoint := etp
	noEndpoint.After, noEndpoint.Want = map[netip.Addr][]netip.Addr{ip: nil}, map[netip.Addr][]netip.Addr{ip: nil}
	wantOutcome(t, "etp-local: no node with an endpoint", JudgeETPLocal(noEndpoint), Failed, "198.51.100.7 has no next hop to expect under ETP=Local")
	otherFamily := etp
	otherFamily.Before, otherFamily.After, otherFamily.Want = map[netip.Addr][]netip.Addr{v6: n}, map[netip.Addr][]netip.Addr{v6: n[:2]},
		map[netip.Addr][]netip.Addr{v6: n[:2]}
	wantOutcome(t, "etp-local: a client without the LB IP's family", JudgeETPLocal(otherFamily), Failed, "the client has no IPv6 address")
	unanswered := etp
	unanswered.Answered = 0
	wantOutcome(t, "etp-local: no request answered", JudgeETPLocal(unanswered), Failed, "none of the client's 2 requests was answered")
	oneNode := etp
	oneNode.Replicas, oneNode.Nodes = 1, 1
	wantOutcome(t, "etp-local: one node", JudgeETPLocal(oneNode), Skipped, "needs more eligible nodes than pods")

	ranges := RangesEvidence{Client: []Batch{{Sent: 3, OK: 3}}, TOR: []Batch{{Sent: 2, Failures: map[string]int{wgetExit[4]: 2}}}}
	noWget := ranges
	noWget.TOR = []Batch{{Sent: 2, Failures: map[string]int{"wget exit 127": 2}}}
	wantOutcome(t, "source-ranges: the TOR could not send", JudgeRanges(noWget), Failed, "want every one to time out or be refused")
	silent := ranges
	silent.TOR = nil
	wantOutcome(t, "source-ranges: the TOR sent nothing", JudgeRanges(silent), Failed, "the TOR sent requests to 0 of the 1 LB IPs")
	untested := ranges
	untested.Untested = []netip.Addr{v6}
	wantOutcome(t, "source-ranges: one family untested", JudgeRanges(untested), Failed, "2001:db8:100::7 not tested")

	fo := FailoverEvidence{IP: ip, Node: "node3", Nexthop: n[2], Before: n, After: n[:2], HoldTime: 9 * time.Second, Slack: holdSlack,
		Withdrawn: 7 * time.Second, Requests: 40, AfterWithdraw: 10}
	shrunk := fo
	shrunk.After = n[:1]
	wantOutcome(t, "node-failover: a next hop more left", JudgeFailover(shrunk), Failed, "missing next hop 10.89.0.12")
}

// TestWrongPassWaitNexthops: a temporary Service without a ready endpoint
// has no eligible node, so no route; that no longer counts as "routed"
// (withdraw-on-delete then "withdrew" a route that never was).
func TestWrongPassWaitNexthops(t *testing.T) {
	kc := fake.NewClientset(lbService("web", "198.51.100.0")) // no EndpointSlice
	e := liveEnv(kc, "web")
	rec := &run.Recorder{}
	rec.Respond("ip -j route show", "[]")
	e.HostList = append(e.HostList, lab.Node{Name: "tor", Role: lab.RoleTOR, Runner: rec})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	si := ServiceInfo{Namespace: "default", Name: "web"}
	if _, _, err := waitNexthops(ctx, e, &si); err == nil || !strings.Contains(err.Error(), "did not reach the eligible next hops") {
		t.Errorf("no eligible node: %v", err)
	}
}
