package scenarios

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/topology"
)

// l2Moved is a run where 10.89.0.192 moved from node2 to node3.
func l2Moved(fault string, edit func(*L2FailoverRun)) L2FailoverRun {
	r := L2FailoverRun{Fault: fault, Node: "node2", Budget: 15 * time.Second, Requests: 40, Failed: 14,
		RestoreAt: 2 * time.Second, Settled: 1100 * time.Millisecond,
		IPs: []L2Move{{IP: netip.MustParseAddr("10.89.0.192"), Eligible: []string{"node1", "node2", "node3"},
			OldOwner: "node2", OldMAC: "aa:00:00:00:00:02",
			Switched: 1580 * time.Millisecond, SwitchedMAC: "aa:00:00:00:00:03", Restored: 1620 * time.Millisecond,
			Answers: []string{"node3"}, NewOwner: "node3", NewMAC: "aa:00:00:00:00:03",
			Requests: 40, Failed: 14, OwnerAfter: "node2"}}}
	if edit != nil {
		edit(&r)
	}
	return r
}

func TestJudgeL2Failover(t *testing.T) {
	ok := func(edit func(*L2FailoverRun)) L2FailoverEvidence {
		return L2FailoverEvidence{Service: "default/web", SpeakerStop: l2Moved("speaker stop", nil), LinkDown: l2Moved("link down", edit)}
	}
	move := func(edit func(*L2Move)) func(*L2FailoverRun) {
		return func(r *L2FailoverRun) { edit(&r.IPs[0]) }
	}
	for _, tc := range []struct {
		name string
		ev   L2FailoverEvidence
		pass bool
		want string
	}{
		{"both moved", ok(func(r *L2FailoverRun) { r.Interface = "eth0"; r.AfterSwitch = 4 }), true,
			"speaker stop: node2 → node3 in 1.62s (14 of 40 requests failed), back to node2 1.1s after the restore; link down (eth0): node2 → node3 in 1.62s (14 of 40 requests failed, 4 of them after the switch)"},
		{"stays on the new owner", ok(move(func(m *L2Move) { m.OwnerAfter = "node3" })), true, "then on node3 1.1s after the restore"},
		{"never switched", ok(move(func(m *L2Move) {
			m.Switched, m.SwitchedMAC, m.Restored, m.Answers, m.NewOwner, m.NewMAC = 0, "", 0, nil, "", ""
		})), false, "link down: the TOR still sends 10.89.0.192 to node2's MAC aa:00:00:00:00:02 after 15s; answered by: none"},
		{"switched, no request got through", ok(move(func(m *L2Move) { m.Restored = 0 })), false,
			"no client request to 10.89.0.192 succeeded within 15s after the TOR switched to aa:00:00:00:00:03 at 1.58s"},
		{"restored through the same owner", ok(move(func(m *L2Move) {
			m.Answers, m.NewOwner, m.NewMAC = []string{"node2"}, "node2", "aa:00:00:00:00:02"
		})), false, "10.89.0.192 is still answered by node2 after its link down"},
		{"no eligible other node", ok(move(func(m *L2Move) { m.Eligible = []string{"node2"} })), false,
			"10.89.0.192 has no eligible node but node2 to move to (eligible: node2)"},
		{"two answer", ok(move(func(m *L2Move) { m.Answers, m.NewOwner, m.NewMAC = []string{"node1", "node3"}, "", "" })), false,
			"answered by 2 nodes after the switch, not one: node1, node3"},
		{"moved to an ineligible node", ok(move(func(m *L2Move) { m.NewOwner = "control-plane" })), false,
			"moved to control-plane, not an eligible node (node1, node3)"},
		{"the TOR switched to another MAC", ok(move(func(m *L2Move) { m.SwitchedMAC = "aa:00:00:00:00:01" })), false,
			"the TOR switched 10.89.0.192 to aa:00:00:00:00:01, but node3 (aa:00:00:00:00:03) answers for it"},
		{"no request", ok(func(r *L2FailoverRun) { r.Requests = 0 }), false, "the client sent no request during the link down"},
		{"a step failed", ok(func(r *L2FailoverRun) { r.Step, r.Err = "settle after the restore", "node2's Lease was not renewed" }), false,
			`link down: step "settle after the restore": node2's Lease was not renewed`},
		{"no owned IP", ok(func(r *L2FailoverRun) { r.IPs = nil }), false, `no tracked LB IP is owned by "node2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := JudgeL2Failover(tc.ev)
			if (out.Status == Passed) != tc.pass || !strings.Contains(out.Summary, tc.want) {
				t.Errorf("got %s %q, want pass=%v containing %q", out.Status, out.Summary, tc.pass, tc.want)
			}
		})
	}
}

func TestJudgeL2FailoverDual(t *testing.T) {
	r := l2Moved("speaker stop", func(r *L2FailoverRun) {
		m := r.IPs[0]
		m.IP, m.NewOwner, m.Restored, m.OwnerAfter = netip.MustParseAddr("fd00:89::c0"), "node1", 1700*time.Millisecond, "node2"
		m.SwitchedMAC, m.NewMAC = "aa:00:00:00:00:01", "aa:00:00:00:00:01"
		r.IPs = append(r.IPs, m)
		r.Others = []string{"fd00:89::c1 (node3)"}
	})
	out := JudgeL2Failover(L2FailoverEvidence{SpeakerStop: r, LinkDown: l2Moved("link down", nil)})
	want := "speaker stop: node2 → node3 in 1.62s for 10.89.0.192, node2 → node1 in 1.7s for fd00:89::c0 (14 of 40 requests failed), back to node2 1.1s after the restore; not moved: fd00:89::c1 (node3)"
	if out.Status != Passed || !strings.Contains(out.Summary, want) {
		t.Errorf("got %s %q, want %q", out.Status, out.Summary, want)
	}
}

func TestL2FailoverSkipsBGPLabs(t *testing.T) {
	env := &LiveEnv{LabName: "bgp", Topo: &topology.Topology{}}
	env.Topo.Controller.Mode = topology.ModeBGP
	attempt := 0
	out := checkL2Failover().Run(context.Background(), env, &attempt)
	if out.Status != Skipped || !strings.Contains(out.Summary, "controller.mode bgp") {
		t.Errorf("in a BGP lab: %s %q, want skipped with the reason", out.Status, out.Summary)
	}
}
