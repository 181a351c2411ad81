package scenarios

import (
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/frr"
)

// TestJudgeSessions: one Established session per speaker node and family,
// and nothing else. The failing rows are inputs the per-node judge passed:
// a node counted as up with any one of its sessions.
func TestJudgeSessions(t *testing.T) {
	v4 := []SpeakerNode{{Name: "node1", Addrs: addrs("10.89.0.11")}, {Name: "node2", Addrs: addrs("10.89.0.12")}}
	dual := []SpeakerNode{{Name: "node1", Addrs: addrs("10.89.0.11", "fd00:89::b")}, {Name: "node2", Addrs: addrs("10.89.0.12", "fd00:89::c")}}
	est := func(a string) frr.Peer { return frr.Peer{Address: a, State: "Established"} }
	only4, both := []bool{false}, []bool{false, true}
	// MetalLB's speakers from the nodes' addresses, lblab's (class
	// lblab.dev/lb) from their second ones.
	class := append(v4[:2:2], SpeakerNode{Name: "node1", Addrs: addrs("10.89.0.13"), Class: "lblab.dev/lb"},
		SpeakerNode{Name: "node2", Addrs: addrs("10.89.0.14"), Class: "lblab.dev/lb"})
	tests := []struct {
		name  string
		nodes []SpeakerNode
		v6s   []bool
		peers []frr.Peer
		want  Status
		msg   string
	}{
		{"IPv4, all up", v4, only4, []frr.Peer{est("10.89.0.11"), est("10.89.0.12")}, Passed, "2 sessions Established: 2 speaker nodes × IPv4"},
		{"dual, all up", dual, both, []frr.Peer{est("10.89.0.11"), est("10.89.0.12"), est("fd00:89::b"), est("fd00:89::c")}, Passed,
			"4 sessions Established: 2 speaker nodes × IPv4+IPv6"},
		{"one down", v4, only4, []frr.Peer{est("10.89.0.11"), {Address: "10.89.0.12", State: "Active"}}, Failed,
			"IPv4 session with node2 (10.89.0.12) is Active"},
		{"missing", v4, only4, []frr.Peer{est("10.89.0.11")}, Failed, "no IPv4 session with node2 (10.89.0.12)"},
		{"stranger", v4, only4, []frr.Peer{est("10.89.0.11"), est("10.89.0.12"), est("10.89.0.99")}, Failed,
			"unexpected peer 10.89.0.99 (Established) is no speaker node"},
		// Used to pass: node1's IPv6 session blocked, its IPv4 one up.
		{"dual, one family missing", dual, both, []frr.Peer{est("10.89.0.11"), est("10.89.0.12"), est("fd00:89::c")}, Failed,
			"no IPv6 session with node1 (fd00:89::b)"},
		{"dual, one family down", dual, both, []frr.Peer{est("10.89.0.11"), est("10.89.0.12"), {Address: "fd00:89::b", State: "Connect"}, est("fd00:89::c")},
			Failed, "IPv6 session with node1 (fd00:89::b) is Connect"},
		// Used to pass: nothing expected, nothing seen.
		{"no nodes, no peers", nil, both, nil, Failed, "nothing to expect: 0 speaker nodes"},
		{"no families", v4, nil, []frr.Peer{est("10.89.0.11")}, Failed, "nothing to expect: 2 speaker nodes, 0 address families"},
		{"no peers", dual, both, nil, Failed, "no IPv4 session with node1 (10.89.0.11); no IPv4 session with node2"},
		// Used to pass: a node's session of a family the lab does not use.
		{"extra family", dual, only4, []frr.Peer{est("10.89.0.11"), est("10.89.0.12"), est("fd00:89::b")}, Failed,
			"unexpected peer fd00:89::b (Established) of node1: the lab does not use IPv6"},
		// Used to pass: a second address of a node peering beside its own.
		{"extra peer of a node", []SpeakerNode{{Name: "node1", Addrs: addrs("10.89.0.11", "10.89.0.51")}}, only4,
			[]frr.Peer{est("10.89.0.11"), est("10.89.0.51")}, Failed, "unexpected peer 10.89.0.51 (Established) of node1 is not the address it peers from"},
		{"two controllers, all up", class, only4, []frr.Peer{est("10.89.0.11"), est("10.89.0.12"), est("10.89.0.13"), est("10.89.0.14")}, Passed,
			"4 sessions Established"},
		{"two controllers, a class speaker missing", class, only4, []frr.Peer{est("10.89.0.11"), est("10.89.0.12"), est("10.89.0.13")}, Failed,
			"no IPv4 session with node2's lblab.dev/lb speaker (10.89.0.14)"},
		{"node without an address of a family", []SpeakerNode{{Name: "node1", Addrs: addrs("10.89.0.11")}}, both,
			[]frr.Peer{est("10.89.0.11")}, Failed, "node1 has no IPv6 address to peer from (has 10.89.0.11)"},
	}
	for _, tt := range tests {
		out := JudgeSessions(tt.nodes, tt.v6s, tt.peers)
		if out.Status != tt.want || !strings.Contains(out.Summary, tt.msg) {
			t.Errorf("%s: %s %q, want %s %q", tt.name, out.Status, out.Summary, tt.want, tt.msg)
		}
	}
}

// TestJudgeSessionsCaptured: the captured dual-stack summary, six sessions
// from three nodes, passes for a dual-stack lab and fails for an IPv4 one.
func TestJudgeSessionsCaptured(t *testing.T) {
	sum, err := frr.ParseSummary(testdata(t, "frr", "summary-dual.json"))
	if err != nil {
		t.Fatal(err)
	}
	var three []SpeakerNode
	for _, n := range labCluster().Nodes {
		three = append(three, SpeakerNode{Name: n.Name, Addrs: n.Addrs})
	}
	if out := JudgeSessions(three, []bool{false, true}, sum.Peers()); out.Status != Passed || out.Summary != "6 sessions Established: 3 speaker nodes × IPv4+IPv6" {
		t.Errorf("captured summary: %s %q", out.Status, out.Summary)
	}
	if out := JudgeSessions(three, []bool{false}, sum.Peers()); out.Status != Failed || !strings.Contains(out.Summary, "the lab does not use IPv6") {
		t.Errorf("captured dual summary for an IPv4 lab: %s %q", out.Status, out.Summary)
	}
	if out := JudgeSessions(three[:2], []bool{false, true}, sum.Peers()); out.Status != Failed ||
		!strings.Contains(out.Summary, "unexpected peer 10.89.0.13 (Established) is no speaker node") {
		t.Errorf("a node too many on the TOR: %s %q", out.Status, out.Summary)
	}
}
