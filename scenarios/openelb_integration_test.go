package scenarios_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationVerifyOpenELB brings up OpenELB (`--controller openelb`,
// built from the Go module proxy: a manager on every node) on bgp-ecmp and
// runs verify's checks. OpenELB v0.5.0 announces every LB IP from every
// manager with every Ready node as a next hop (add-path), the control
// plane too, although it carries
// node.kubernetes.io/exclude-from-external-load-balancers: the checks that
// judge next hops must fail naming the control plane's address, and the
// others must pass. Without the label, source-ranges and etp-local pass,
// and node-failover fails: a frozen node stays a next hop (the other
// managers announce it for as long as its Node is Ready). And, when a race
// between the managers goes one way, a deleted Service's IP stays routed
// (managers that find it already released in the Eip's status keep their
// paths): ecmp-fib and withdraw-on-delete may pass or fail for that.
func TestIntegrationVerifyOpenELB(t *testing.T) {
	testutil.Integration(t)
	const name = "oe-ecmp"
	testutil.MustRun(t, "up", "--name", name, "--controller", "openelb")
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
	if !strings.Contains(res.Stdout, `"controller": "OpenELB v0.5.0`) {
		t.Errorf("the report does not name OpenELB and its version:\n%s", res.Stdout)
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

	// Without the label, the next hops are right, but a frozen node stays
	// a next hop, and a deleted Service's IP can stay routed: a manager
	// that reconciles the delete only after another released the IP in
	// the Eip's status keeps its paths. Whether, and where, it shows
	// depends on that race: this run's withdraw-on-delete, or a temporary
	// Service of the first verify (ecmp-fib then finds the TOR routing an
	// IP no Service holds), or neither (it showed in three of five runs here).
	testutil.MustRun(t, "kubectl", "--name", name, "--", "label", "node", "control-plane",
		"node.kubernetes.io/exclude-from-external-load-balancers-")
	v, res = verify(t, "--name", name, "--timeout", "10s", "--scenario", "ecmp-fib,withdraw-on-delete,source-ranges,node-failover,etp-local")
	stale := 0
	for _, r := range v.Results {
		switch r.Name {
		case "node-failover":
			if r.Status != "failed" || !strings.Contains(r.Summary, `step "withdraw"`) || !strings.Contains(r.Summary, "still routes via") {
				t.Errorf("node-failover: %s, want failed: the frozen node still a next hop: %s", r.Status, r.Summary)
			}
		case "ecmp-fib", "withdraw-on-delete":
			if r.Status == "passed" {
				continue
			}
			if !strings.Contains(r.Summary, "stale kernel route") && !strings.Contains(r.Summary, "still routes") {
				t.Errorf("%s: %s, want passed or failed on a released IP still routed: %s", r.Name, r.Status, r.Summary)
			}
			stale++
		default:
			if r.Status != "passed" {
				t.Errorf("without the exclude label, %s: %s, want passed: %s", r.Name, r.Status, r.Summary)
			}
		}
	}
	// The race is not won the same way every run: say whether it showed.
	t.Logf("a released IP still routed in %d of ecmp-fib and withdraw-on-delete this run", stale)
	if res.ExitCode != 1 {
		t.Errorf("verify without the label: exit %d, want 1 (the withdraw findings)", res.ExitCode)
	}
	out := testutil.MustRun(t, "status", "--name", name).Stdout
	if !strings.Contains(out, "controller OpenELB v0.5.0") || !strings.Contains(out, "openelb manager on node1") {
		t.Errorf("status names neither OpenELB nor its managers:\n%s", out)
	}
	bgp := testutil.MustRun(t, "inspect", "bgp", "--name", name)
	if !strings.Contains(bgp.Stdout, "cannot read") {
		t.Errorf("inspect bgp does not say why OpenELB's GoBGP API is not read:\n%s", bgp.Stdout)
	}
	testutil.MustRun(t, "down", "--name", name)
	if left := processesWith(name, "openelb"); len(left) > 0 {
		t.Errorf("OpenELB processes left after down: %v", left)
	}
}
