package scenarios_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationVerifyKubeVIP brings up kube-vip with
// kube-vip-cloud-provider (`--controller kube-vip`, built from the Go
// module proxy) on bgp-ecmp and runs verify's checks. kube-vip v1.0.0
// announces from every node, the control plane too, although it carries
// node.kubernetes.io/exclude-from-external-load-balancers: the checks
// that judge next hops must fail naming the control plane's address (the
// README's finding), and the others must pass; without the label, all
// of them pass but etp-local (the second finding).
func TestIntegrationVerifyKubeVIP(t *testing.T) {
	testutil.Integration(t)
	const name = "kv-ecmp"
	testutil.MustRun(t, "up", "--name", name, "--controller", "kube-vip")
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	var st struct {
		Hosts []struct{ Name, IPv4 string }
	}
	if err := json.Unmarshal([]byte(testutil.MustRun(t, "status", "--name", name, "-o", "json").Stdout), &st); err != nil {
		t.Fatal(err)
	}
	cp := ""
	for _, h := range st.Hosts {
		if h.Name == "control-plane" {
			cp, _, _ = strings.Cut(h.IPv4, "/")
		}
	}
	if cp == "" {
		t.Fatalf("no control-plane IPv4 address in status: %+v", st.Hosts)
	}

	v, res := verify(t, "--name", name, "--timeout", "10s")
	if !strings.Contains(res.Stdout, `"controller": "kube-vip v1.0.0`) {
		t.Errorf("the report does not name kube-vip and its version:\n%s", res.Stdout)
	}
	wantFailed := []string{"ecmp-rib", "ecmp-fib", "withdraw-on-delete", "etp-local", "source-ranges", "node-failover"}
	wantPassed := []string{"bgp-sessions", "lb-ip-allocated", "reachability", "dataplane-rules"}
	for _, r := range v.Results {
		switch {
		case slices.Contains(wantFailed, r.Name):
			if r.Status != "failed" || !namesNexthop(r.Summary, cp) {
				t.Errorf("%s: %s, want failed naming the control plane's %s among the next hops: %s", r.Name, r.Status, cp, r.Summary)
			}
		case slices.Contains(wantPassed, r.Name):
			if r.Status != "passed" {
				t.Errorf("%s: %s, want passed: %s", r.Name, r.Status, r.Summary)
			}
		}
	}
	if res.ExitCode != 1 {
		t.Errorf("verify: exit %d, want 1 (the exclude-label finding)", res.ExitCode)
	}

	// Without the label (as a user who wants the control plane to serve
	// would run it), the same checks pass, but etp-local: after the
	// Service switches to Local, kube-vip keeps announcing from the
	// control plane, which has no endpoint of it.
	testutil.MustRun(t, "kubectl", "--name", name, "--", "label", "node", "control-plane",
		"node.kubernetes.io/exclude-from-external-load-balancers-")
	v, res = verify(t, "--name", name, "--timeout", "10s", "--scenario", "ecmp-fib,withdraw-on-delete,source-ranges,node-failover,etp-local")
	for _, r := range v.Results {
		want := "passed"
		if r.Name == "etp-local" {
			want = "failed"
			if !strings.Contains(r.Summary, `step "route under ETP=Local"`) || !strings.Contains(r.Summary, cp) {
				t.Errorf("etp-local: want it to fail on the route under ETP=Local, through the control plane's %s: %s", cp, r.Summary)
			}
		}
		if r.Status != want {
			t.Errorf("without the exclude label, %s: %s, want %s: %s", r.Name, r.Status, want, r.Summary)
		}
	}
	bgp := testutil.MustRun(t, "inspect", "bgp", "--name", name)
	if !strings.Contains(bgp.Stdout, "serves no API") {
		t.Errorf("inspect bgp does not say kube-vip serves no session API:\n%s", bgp.Stdout)
	}
	testutil.MustRun(t, "down", "--name", name)
	if left := processesWith(name, "kube-vip"); len(left) > 0 {
		t.Errorf("kube-vip processes left after down: %v", left)
	}
}

// namesNexthop reports whether a failed route check's summary names addr
// as a next hop the TOR has: "extra next hop <addr>", or the routes it
// has ("have map[<ip>:[<addr> …]]").
func namesNexthop(summary, addr string) bool {
	if strings.Contains(summary, "extra next hop "+addr) {
		return true
	}
	_, have, ok := strings.Cut(summary, "have map[")
	if !ok {
		return false
	}
	have, _, _ = strings.Cut(have, "]]")
	for _, hops := range strings.Split(have, ":[")[1:] {
		if slices.Contains(strings.Fields(strings.TrimSuffix(hops, "]")), addr) {
			return true
		}
	}
	return false
}

func TestNamesNexthop(t *testing.T) {
	for _, tc := range []struct {
		summary string
		want    bool
	}{
		{"198.51.100.1/32 (default/web): extra next hop 10.89.0.10 (want 10.89.0.11)", true},
		{`step "route": … (want map[198.51.100.2:[10.89.0.11 10.89.0.12]], have map[198.51.100.2:[10.89.0.10 10.89.0.11 10.89.0.12]]): Get "https://10.89.0.10:6443/x": context deadline exceeded`, true},
		{`step "route": … (want map[198.51.100.2:[10.89.0.11]], have map[198.51.100.2:[10.89.0.11]]): Get "https://10.89.0.10:6443/x": context deadline exceeded`, false},
		{`have map[198.51.100.2:[10.89.0.11] 198.51.100.3:[10.89.0.12 10.89.0.10]]`, true},
		{"failed to list nodes: https://10.89.0.10:6443", false},
	} {
		if got := namesNexthop(tc.summary, "10.89.0.10"); got != tc.want {
			t.Errorf("namesNexthop(%q) = %v, want %v", tc.summary, got, tc.want)
		}
	}
}
