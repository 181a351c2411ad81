package scenarios

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestJudgeCPVIP(t *testing.T) {
	a := netip.MustParseAddr
	v4, v6 := a("10.90.0.1"), a("fd00:90::1")
	cp1, cp2, cp3 := a("10.89.0.15"), a("10.89.0.16"), a("10.89.0.17")
	owners := map[netip.Addr]string{cp1: "control-plane", cp2: "control-plane2", cp3: "control-plane3", a("fd00:89::f"): "control-plane"}
	nodes := []string{"control-plane", "control-plane2", "control-plane3", "node1"}
	listed := "control-plane control-plane2 control-plane3 node1"
	allReady := map[string]string{"control-plane": "", "control-plane2": "", "control-plane3": ""}
	for _, tc := range []struct {
		name   string
		ev     CPVIPEvidence
		status Status
		want   string
	}{
		{"all ready, all routed", CPVIPEvidence{Ready: allReady, Owners: owners, Nodes: nodes,
			Want:    map[netip.Addr][]netip.Addr{v4: {cp1, cp2, cp3}},
			Got:     map[netip.Addr][]netip.Addr{v4: {cp3, cp1, cp2}},
			Kubectl: map[netip.Addr]string{v4: listed}}, Passed, "exactly the 3 control-plane nodes"},
		{"a hung apiserver left out", CPVIPEvidence{Ready: map[string]string{"control-plane": "", "control-plane2": "no answer", "control-plane3": ""},
			Owners: owners, Nodes: nodes,
			Want:    map[netip.Addr][]netip.Addr{v4: {cp1, cp3}},
			Got:     map[netip.Addr][]netip.Addr{v4: {cp1, cp3}},
			Kubectl: map[netip.Addr]string{v4: listed}}, Passed, "control-plane2's kube-apiserver is not ready (no answer)"},
		{"a hung apiserver still routed", CPVIPEvidence{Ready: map[string]string{"control-plane": "", "control-plane2": "no answer", "control-plane3": ""},
			Owners: owners, Nodes: nodes,
			Want:    map[netip.Addr][]netip.Addr{v4: {cp1, cp3}},
			Got:     map[netip.Addr][]netip.Addr{v4: {cp1, cp2, cp3}},
			Kubectl: map[netip.Addr]string{v4: listed}}, Failed, "the TOR routes 10.90.0.1 to 10.89.0.15 (control-plane), 10.89.0.16 (control-plane2), 10.89.0.17 (control-plane3), want 10.89.0.15 (control-plane), 10.89.0.17 (control-plane3)"},
		{"IPv6 route missing", CPVIPEvidence{Ready: allReady, Owners: owners, Nodes: nodes,
			Want:    map[netip.Addr][]netip.Addr{v6: {a("fd00:89::f")}},
			Got:     map[netip.Addr][]netip.Addr{},
			Kubectl: map[netip.Addr]string{v6: listed}}, Failed, "the TOR routes fd00:90::1 to none"},
		{"kubectl fails through the VIP", CPVIPEvidence{Ready: allReady, Owners: owners, Nodes: nodes,
			Want:    map[netip.Addr][]netip.Addr{v4: {cp1}},
			Got:     map[netip.Addr][]netip.Addr{v4: {cp1}},
			Kubectl: map[netip.Addr]string{v4: "error: Unable to connect to the server"}}, Failed, "kubectl get nodes through 10.90.0.1"},
		{"the admin client's read through the VIP times out", CPVIPEvidence{Ready: allReady, Owners: owners,
			Want:     map[netip.Addr][]netip.Addr{v4: {cp1}},
			Got:      map[netip.Addr][]netip.Addr{v4: {cp1, cp2}},
			Kubectl:  map[netip.Addr]string{v4: listed},
			NodesErr: "failed to list nodes: context deadline exceeded"}, Failed,
			"the admin kubeconfig (through the VIP) could not list the Nodes: failed to list nodes: context deadline exceeded; the TOR routes 10.90.0.1 to 10.89.0.15 (control-plane), 10.89.0.16 (control-plane2)"},
		{"nothing ready", CPVIPEvidence{Ready: map[string]string{"control-plane": "down"}, Owners: owners, Nodes: nodes,
			Want:    map[netip.Addr][]netip.Addr{v4: {}},
			Got:     map[netip.Addr][]netip.Addr{v4: {}},
			Kubectl: map[netip.Addr]string{v4: listed}}, Failed, "no control-plane node has a ready kube-apiserver"},
		{"the admin client and the client's kubectl both fail", CPVIPEvidence{Ready: allReady, Owners: owners,
			Want:     map[netip.Addr][]netip.Addr{v4: {cp1}},
			Got:      map[netip.Addr][]netip.Addr{v4: {cp1}},
			Kubectl:  map[netip.Addr]string{v4: "error: Unable to connect to the server: net/http: TLS handshake timeout"},
			NodesErr: "failed to list nodes: context deadline exceeded"}, Failed,
			"kubectl get nodes through 10.90.0.1 from the client: error: Unable to connect to the server: net/http: TLS handshake timeout"},
		// L2 mode: one ready control-plane node answers ARP/NDP.
		{"L2: one ready owner", CPVIPEvidence{Ready: allReady, Nodes: nodes,
			Answered: map[netip.Addr][]string{v4: {"control-plane2"}, v6: {"control-plane2"}},
			Kubectl:  map[netip.Addr]string{v4: listed, v6: listed}}, Passed, "10.90.0.1 answered by control-plane2, fd00:90::1 answered by control-plane2"},
		{"L2: two owners", CPVIPEvidence{Ready: allReady, Nodes: nodes,
			Answered: map[netip.Addr][]string{v4: {"control-plane2", "control-plane3"}},
			Kubectl:  map[netip.Addr]string{v4: listed}}, Failed, "2 nodes answer ARP/NDP for 10.90.0.1"},
		{"L2: nobody answers", CPVIPEvidence{Ready: allReady, Nodes: nodes,
			Answered: map[netip.Addr][]string{v4: {}},
			Kubectl:  map[netip.Addr]string{v4: "error: timeout"}}, Failed, "nobody answers ARP/NDP for 10.90.0.1"},
		{"L2: the owner's apiserver hangs", CPVIPEvidence{Ready: map[string]string{"control-plane": "", "control-plane2": "no answer", "control-plane3": ""},
			Nodes: nodes, Answered: map[netip.Addr][]string{v4: {"control-plane2"}},
			Kubectl: map[netip.Addr]string{v4: listed}}, Failed, "answered by control-plane2, whose kube-apiserver is not ready (no answer)"},
		{"L2: a stranger answers", CPVIPEvidence{Ready: allReady, Nodes: nodes,
			Answered: map[netip.Addr][]string{v4: {"unknown MAC 02:00:00:00:00:01"}},
			Kubectl:  map[netip.Addr]string{v4: listed}}, Failed, "answered by unknown MAC 02:00:00:00:00:01, not a control-plane node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := JudgeCPVIP(tc.ev)
			if out.Status != tc.status || !strings.Contains(out.Summary, tc.want) {
				t.Errorf("%s %q, want %s containing %q", out.Status, out.Summary, tc.status, tc.want)
			}
		})
	}
}

func TestCountCPRequests(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ip := netip.MustParseAddr("10.90.0.1")
	reqs := []l2Req{
		{ip: ip, from: at(-500), to: at(-480), ok: true},
		{ip: ip, from: at(-50), to: at(950), ok: false, reason: "timeout"}, // in flight at the fault
		{ip: ip, from: at(100), to: at(120), ok: true},
		{ip: ip, from: at(300), to: at(1300), ok: false, reason: "timeout"},
		{ip: ip, from: at(400), to: at(420), ok: true},
		{ip: ip, from: at(2900), to: at(3900), ok: false, reason: "timeout"}, // after the drop + a request timeout
		{ip: ip, from: at(3000), to: at(3020), ok: true},
	}
	run := CPFailoverRun{Dropped: 1200 * time.Millisecond}
	countCPRequests(&run, reqs, t0)
	if run.Requests != 6 || run.Failed != 3 || run.FailedBefore != 0 || run.FailedLate != 1 || run.Recovered != 3*time.Second {
		t.Errorf("%+v", run)
	}
}

func TestJudgeCPFailover(t *testing.T) {
	good := []CPFailoverRun{
		{Fault: FaultAPIServer, Node: "cp3", Dropped: time.Second, Recovered: time.Second, Requests: 80, Failed: 5},
		{Fault: FaultHost, Node: "cp3", Dropped: 2 * time.Second, Recovered: 2 * time.Second, Requests: 90, Failed: 9, Written: 1500 * time.Millisecond},
	}
	for _, tc := range []struct {
		name   string
		edit   func([]CPFailoverRun) []CPFailoverRun
		status Status
		want   string
	}{
		{"both faults recovered", func(r []CPFailoverRun) []CPFailoverRun { return r }, Passed, "a write through the VIP succeeded 1.5s after the cut, while it was down"},
		{"a step failed", func(r []CPFailoverRun) []CPFailoverRun {
			r[1] = CPFailoverRun{Fault: FaultHost, Node: "cp3", Step: "route drop", Err: "still routed"}
			return r
		}, Failed, `host down on cp3: step "route drop": still routed`},
		{"late failures", func(r []CPFailoverRun) []CPFailoverRun { r[0].FailedLate = 2; return r }, Failed, "2 requests failed although"},
		{"baseline failures", func(r []CPFailoverRun) []CPFailoverRun { r[0].FailedBefore = 1; return r }, Failed, "1 requests failed before the fault"},
		{"no quorum", func(r []CPFailoverRun) []CPFailoverRun {
			r[1].QuorumWrite = "kubectl create configmap: timeout"
			return r
		}, Failed, "a write through the VIP failed"},
		{"all failed", func(r []CPFailoverRun) []CPFailoverRun { r[0].Failed = 80; return r }, Failed, "all 80 requests through the VIP failed"},
		{"one fault only", func(r []CPFailoverRun) []CPFailoverRun { return r[:1] }, Failed, "1 of 2 faults ran"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := tc.edit(append([]CPFailoverRun(nil), good...))
			out := JudgeCPFailover(CPFailoverEvidence{Runs: runs})
			if out.Status != tc.status || !strings.Contains(out.Summary, tc.want) {
				t.Errorf("%s %q, want %s containing %q", out.Status, out.Summary, tc.status, tc.want)
			}
		})
	}
}
