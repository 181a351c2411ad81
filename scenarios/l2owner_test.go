package scenarios

import (
	"net/netip"
	"strings"
	"testing"
)

// TestJudgeL2Owner: every way an L2 announcement can be wrong fails,
// naming the IP.
func TestJudgeL2Owner(t *testing.T) {
	ip := netip.MustParseAddr("10.89.0.192")
	el := []string{"node1", "node2", "node3"}
	ok := L2Evidence{Service: "default/web", IP: ip, Eligible: el, MACs: []string{"aa:00:00:00:00:02"}, Owners: []string{"node2"},
		Neighbor: "aa:00:00:00:00:02 REACHABLE"}
	with := func(f func(*L2Evidence)) []L2Evidence {
		e := ok
		f(&e)
		return []L2Evidence{e}
	}
	cases := []struct {
		name string
		ev   []L2Evidence
		want string // "" passes
	}{
		{"one eligible owner, neighbour agrees", []L2Evidence{ok}, ""},
		{"no neighbour entry yet", with(func(e *L2Evidence) { e.Neighbor = "" }), ""},
		{"a failed neighbour entry is not a disagreement", with(func(e *L2Evidence) { e.Neighbor = "aa:00:00:00:00:09 FAILED" }), ""},
		{"no IP at all", nil, "no LoadBalancer IP"},
		{"nobody answers", with(func(e *L2Evidence) { e.MACs, e.Owners = nil, nil }), "nobody answers for 10.89.0.192"},
		{"two nodes answer", with(func(e *L2Evidence) {
			e.MACs, e.Owners = []string{"aa:00:00:00:00:01", "aa:00:00:00:00:02"}, []string{"node1", "node2"}
		}), "answered by 2 MACs"},
		{"an unknown MAC answers", with(func(e *L2Evidence) { e.MACs, e.Owners = []string{"de:ad:be:ef:00:01"}, []string{"?"} }), "not an eligible node"},
		{"an ineligible node answers", with(func(e *L2Evidence) { e.Eligible = []string{"node1", "node3"} }), "not an eligible node"},
		{"the TOR's entry points elsewhere", with(func(e *L2Evidence) { e.Neighbor = "aa:00:00:00:00:01 REACHABLE" }), "neighbour entry for 10.89.0.192 is aa:00:00:00:00:01"},
		{"no eligible node, yet an answer", with(func(e *L2Evidence) { e.Eligible = nil }), "has no eligible node, yet node2 answered"},
		{"no eligible node and silence", with(func(e *L2Evidence) { e.Eligible, e.MACs, e.Owners, e.Neighbor = nil, nil, nil, "" }), ""},
		{"a family without an IP", []L2Evidence{ok, {Service: "default/web", Eligible: el, Problem: "no IPv6 external IP to route"}}, "no IPv6 external IP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := JudgeL2Owner(tc.ev)
			switch {
			case tc.want == "" && out.Status != Passed:
				t.Errorf("failed: %s", out.Summary)
			case tc.want != "" && (out.Status != Failed || !strings.Contains(out.Summary, tc.want)):
				t.Errorf("%s %q, want a failure naming %q", out.Status, out.Summary, tc.want)
			}
		})
	}
}

// TestParseNeighbors reads `ip -j neigh show` captured on an l2-dual
// lab's TOR (iproute2 6.1) after it pinged the IPv4 and IPv6 LB IPs and a
// node: the LB IPs resolve to the owner's MAC, the node's own address too.
func TestParseNeighbors(t *testing.T) {
	got, err := ParseNeighbors(readTestdata(t, "ip-neigh-tor-l2-dual.json"))
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"10.89.2.192":   "c2:5d:f5:ba:55:19 REACHABLE",
		"fd00:89:2::c0": "c2:5d:f5:ba:55:19 REACHABLE",
		"10.89.2.11":    "c2:5d:f5:ba:55:19 REACHABLE",
	} {
		if got[netip.MustParseAddr(addr)] != want {
			t.Errorf("%s: %q, want %q", addr, got[netip.MustParseAddr(addr)], want)
		}
	}
	if len(got) != 6 {
		t.Errorf("%d entries: %v", len(got), got)
	}
	if _, err := ParseNeighbors([]byte("not json")); err == nil {
		t.Error("no error for garbage")
	}
}
