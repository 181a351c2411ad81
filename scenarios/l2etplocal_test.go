package scenarios

import (
	"net/netip"
	"testing"
	"time"
)

// TestJudgeL2ETPLocal: etp-local in an L2 lab passes only when, under
// Local, every LB IP is answered by one node with a ready endpoint (and the
// TOR's entry names it), the owner under Cluster had to move and did, and
// nginx logged the client's own address.
func TestJudgeL2ETPLocal(t *testing.T) {
	ip, v6 := netip.MustParseAddr("10.89.0.194"), netip.MustParseAddr("fd00:89::c2")
	answered := func(ip netip.Addr, eligible []string, mac, node string) L2Evidence {
		return L2Evidence{Service: "default/lblab-verify-etp", IP: ip, Eligible: eligible, MACs: []string{mac}, Owners: []string{node},
			Neighbor: mac + " REACHABLE"}
	}
	all, pods := []string{"node1", "node2", "node3"}, []string{"node1", "node3"}
	ok := ETPEvidence{Service: "default/lblab-verify-etp", Replicas: 2, Nodes: 3, PodNodes: pods,
		ClientIPs: addrs("192.0.2.2"), Requests: 2, Answered: 2, Logged: []string{`192.0.2.2 - - [x] "GET / HTTP/1.1" 200 615`},
		L2: &ETPL2{Avoided: []string{"node2"}, Placed: time.Second,
			Before: []L2Evidence{answered(ip, all, "aa:00:00:00:00:02", "node2")},
			After:  []L2Evidence{answered(ip, pods, "aa:00:00:00:00:01", "node1")}, Moved: 400 * time.Millisecond}}
	with := func(f func(*ETPEvidence)) ETPEvidence {
		e := ok
		l2 := *ok.L2
		l2.Before, l2.After = append([]L2Evidence(nil), l2.Before...), append([]L2Evidence(nil), l2.After...)
		e.L2 = &l2
		f(&e)
		return e
	}
	for _, tt := range []struct {
		name   string
		ev     ETPEvidence
		status Status
		msg    string
	}{
		{"the owner moved to a node with a pod", ok, Passed,
			"10.89.0.194 node2→node1: owner moved 400ms after the switch to Local (pods only on node1, node3); nginx logged the client's own 192.0.2.2"},
		{"dual stack, one IP's owner kept its pod", with(func(e *ETPEvidence) {
			e.ClientIPs = addrs("192.0.2.2", "2001:db8:c::2")
			e.Logged = append(e.Logged, `2001:db8:c::2 - - [x] "GET / HTTP/1.1" 200 615`)
			e.L2.Before = append(e.L2.Before, answered(v6, all, "aa:00:00:00:00:03", "node3"))
			e.L2.After = append(e.L2.After, answered(v6, pods, "aa:00:00:00:00:03", "node3"))
		}), Passed, "10.89.0.194 node2→node1, fd00:89::c2 stays on node3 (it has a pod): owner moved"},
		{"one eligible node", with(func(e *ETPEvidence) { e.Replicas, e.Nodes = 1, 1 }), Skipped, "needs more eligible nodes than pods"},

		{"empty evidence", ETPEvidence{}, Failed, "no eligible node"},
		{"no L2 observation", with(func(e *ETPEvidence) { e.L2 = nil }), Failed, "no LB IP observed under ETP=Local"},
		{"an owner without a local endpoint", with(func(e *ETPEvidence) { e.L2.After[0] = answered(ip, pods, "aa:00:00:00:00:02", "node2") }),
			Failed, "10.89.0.194 is answered under ETP=Local by node2, which has no ready endpoint (pods on node1, node3)"},
		{"an owner the Service's endpoints do not name", with(func(e *ETPEvidence) { e.PodNodes = []string{"node3"} }),
			Failed, "answered under ETP=Local by node1, which has no ready endpoint"},
		{"nobody answers under Local", with(func(e *ETPEvidence) { e.L2.After[0].MACs, e.L2.After[0].Owners = nil, nil }),
			Failed, "nobody answers for 10.89.0.194"},
		{"two nodes answer under Local", with(func(e *ETPEvidence) {
			e.L2.After[0].MACs, e.L2.After[0].Owners = []string{"aa:00:00:00:00:01", "aa:00:00:00:00:03"}, []string{"node1", "node3"}
		}), Failed, "answered by 2 MACs"},
		{"the TOR still sends to the old owner", with(func(e *ETPEvidence) { e.L2.After[0].Neighbor = "aa:00:00:00:00:02 REACHABLE" }),
			Failed, "the TOR's neighbour entry for 10.89.0.194 is aa:00:00:00:00:02 (REACHABLE), but aa:00:00:00:00:01 (node1) answers"},
		{"no ready endpoint anywhere", with(func(e *ETPEvidence) { e.L2.After[0].Eligible = nil }), Failed, "10.89.0.194 has no owner to expect"},
		{"the old owner kept a pod", with(func(e *ETPEvidence) { e.PodNodes = all }), Failed,
			"node2 owned an LB IP under ETP=Cluster and still has a ready pod: nothing had to move"},
		{"no node kept free", with(func(e *ETPEvidence) { e.L2.Avoided = nil }), Failed, "nothing had to move"},
		{"the owner did not move", with(func(e *ETPEvidence) { e.L2.Before[0] = answered(ip, all, "aa:00:00:00:00:01", "node1") }),
			Failed, "no LB IP changed its owner under ETP=Local"},
		{"no owner under Cluster", with(func(e *ETPEvidence) { e.L2.Before = nil }), Failed, "10.89.0.194 had no single owner under ETP=Cluster"},
		{"no request answered", with(func(e *ETPEvidence) { e.Answered = 0 }), Failed, "none of the client's 2 requests was answered"},
		{"the client's address not logged (SNAT)", with(func(e *ETPEvidence) { e.Logged = []string{`10.89.0.12 - - [x] "GET / HTTP/1.1" 200 615`} }),
			Failed, "nginx did not log the client's address 192.0.2.2"},
		{"a client without the LB IP's family", with(func(e *ETPEvidence) {
			e.L2.Before = append(e.L2.Before, answered(v6, all, "aa:00:00:00:00:02", "node2"))
			e.L2.After = append(e.L2.After, answered(v6, pods, "aa:00:00:00:00:01", "node1"))
		}), Failed, "the client has no IPv6 address"},
		{"a step that did not complete", with(func(e *ETPEvidence) { e.Step, e.Err = "answer under ETP=Local", "nobody answers" }),
			Failed, `step "answer under ETP=Local": nobody answers`},
	} {
		wantOutcome(t, tt.name, JudgeL2ETPLocal(tt.ev), tt.status, tt.msg)
	}
}
