package scenarios

import (
	"net/netip"
	"testing"
	"time"
)

// TestJudgeL2Withdraw: withdraw-on-delete in an L2 lab passes only when
// the IP was answered by one eligible node before the delete, by nobody
// after it, and went back to the pool; the TOR's neighbour entry is
// reported, whatever its state.
func TestJudgeL2Withdraw(t *testing.T) {
	ip, v6 := netip.MustParseAddr("10.89.0.193"), netip.MustParseAddr("fd00:89::c1")
	el := []string{"node1", "node2", "node3"}
	owned := func(ip netip.Addr, mac, node string) L2Evidence {
		return L2Evidence{Service: "default/lblab-verify-withdraw", IP: ip, Eligible: el, MACs: []string{mac}, Owners: []string{node},
			Neighbor: mac + " REACHABLE"}
	}
	gone := func(ip netip.Addr, neighbor string) L2Evidence {
		return L2Evidence{Service: "default/lblab-verify-withdraw", IP: ip, Neighbor: neighbor}
	}
	ok := L2WithdrawEvidence{Service: "default/lblab-verify-withdraw", IPs: []netip.Addr{ip},
		Before: []L2Evidence{owned(ip, "aa:00:00:00:00:02", "node2")}, After: []L2Evidence{gone(ip, "aa:00:00:00:00:02 REACHABLE")},
		Allocated: 200 * time.Millisecond, Owned: 500 * time.Millisecond, Withdrawn: 120 * time.Millisecond, Freed: true}
	dual := ok
	dual.IPs = []netip.Addr{ip, v6}
	dual.Before = append(dual.Before, owned(v6, "aa:00:00:00:00:03", "node3"))
	dual.After = append(dual.After, gone(v6, ""))
	with := func(base L2WithdrawEvidence, f func(*L2WithdrawEvidence)) L2WithdrawEvidence {
		e := base
		e.Before, e.After = append([]L2Evidence(nil), base.Before...), append([]L2Evidence(nil), base.After...)
		f(&e)
		return e
	}
	for _, tt := range []struct {
		name   string
		ev     L2WithdrawEvidence
		status Status
		msg    string
	}{
		{"answered, then nobody, IP free", ok, Passed,
			"10.89.0.193 (node2): answered 500ms after allocation, no longer answered 120ms after delete, IP free; the TOR's neighbour entry: node2's MAC REACHABLE (Linux ages"},
		{"the TOR's entry gone stale", with(ok, func(e *L2WithdrawEvidence) { e.After[0].Neighbor = "aa:00:00:00:00:02 STALE" }), Passed,
			"the TOR's neighbour entry: node2's MAC STALE"},
		{"dual stack, one entry never made", dual, Passed, "10.89.0.193 node2's MAC REACHABLE; fd00:89::c1 none"},
		{"the TOR's entry names another MAC", with(ok, func(e *L2WithdrawEvidence) { e.After[0].Neighbor = "aa:00:00:00:00:09 STALE" }), Passed,
			"aa:00:00:00:00:09 (not node2's) STALE"},

		{"empty evidence", L2WithdrawEvidence{}, Failed, "no LB IP to withdraw"},
		{"the owner still answers after the delete", with(ok, func(e *L2WithdrawEvidence) { e.After[0] = owned(ip, "aa:00:00:00:00:02", "node2") }),
			Failed, "10.89.0.193 is still answered by node2 (aa:00:00:00:00:02) after the delete; node2 owned it before"},
		{"another node answers after the delete", with(ok, func(e *L2WithdrawEvidence) { e.After[0] = owned(ip, "aa:00:00:00:00:01", "node1") }),
			Failed, "still answered by node1"},
		{"one family still answered", with(dual, func(e *L2WithdrawEvidence) { e.After[1] = owned(v6, "aa:00:00:00:00:03", "node3") }),
			Failed, "fd00:89::c1 is still answered by node3"},
		{"never answered before the delete", with(ok, func(e *L2WithdrawEvidence) { e.Before = nil }), Failed,
			"10.89.0.193 was not answered before the delete: nothing was withdrawn"},
		{"two nodes answered before the delete", with(ok, func(e *L2WithdrawEvidence) {
			e.Before[0].MACs, e.Before[0].Owners = []string{"aa:00:00:00:00:01", "aa:00:00:00:00:02"}, []string{"node1", "node2"}
		}), Failed, "before the delete: 10.89.0.193 (default/lblab-verify-withdraw) is answered by 2 MACs"},
		{"nobody looked after the delete", with(ok, func(e *L2WithdrawEvidence) { e.After = nil }), Failed,
			"nobody looked at who answers for 10.89.0.193 after the delete"},
		{"the IP not freed", with(ok, func(e *L2WithdrawEvidence) { e.Freed = false }), Failed, "10.89.0.193 still held by a Service"},
		{"a step that did not complete", with(ok, func(e *L2WithdrawEvidence) { e.Step, e.Err = "stop answering", "10.89.0.193 is still answered" }),
			Failed, `step "stop answering": 10.89.0.193 is still answered`},
	} {
		wantOutcome(t, tt.name, JudgeL2Withdraw(tt.ev), tt.status, tt.msg)
	}
}
