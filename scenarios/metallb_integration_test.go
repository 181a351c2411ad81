package scenarios_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationVerifyMetalLB brings up MetalLB (`--controller metallb`,
// built from the Go module proxy) in place of the bundled controller and
// expects verify's same checks to pass, IPv6 named as not judged in a
// dual-stack lab (MetalLB's native BGP mode has none), then freezes a
// MetalLB speaker and expects ecmp-fib to fail, and leaves nothing of
// MetalLB behind after down.
func TestIntegrationVerifyMetalLB(t *testing.T) {
	testutil.Integration(t)
	for _, ln := range []struct{ topo, dp, name string }{
		{"bgp-ecmp", "iptables", "mlb-ecmp"},
		{"bgp-ecmp-dual", "nftables", "mlb-dual-nft"},
	} {
		t.Run(ln.name, func(t *testing.T) {
			name := ln.name
			testutil.MustRun(t, "up", "-t", ln.topo, "--name", name, "--dataplane", ln.dp, "--controller", "metallb")
			t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })

			v, res := verify(t, "--name", name)
			if res.ExitCode != 0 || v.Failed != 0 || v.Passed < 10 {
				t.Fatalf("verify: exit %d, %d passed, failed: %v\nstderr:\n%s", res.ExitCode, v.Passed, failedChecks(v), res.Stderr)
			}
			if !strings.Contains(res.Stdout, `"controller": "MetalLB v0.15.2`) {
				t.Errorf("the report does not name MetalLB and its version:\n%s", res.Stdout)
			}
			for _, r := range v.Results {
				notJudged := strings.Contains(r.Summary, "IPv6 not judged: MetalLB native BGP mode")
				if (r.Name == "bgp-sessions" || r.Name == "lb-ip-allocated") && notJudged != (ln.topo == "bgp-ecmp-dual") {
					t.Errorf("%s: IPv6 named as not judged: %v in a %s lab: %s", r.Name, notJudged, ln.topo, r.Summary)
				}
			}
			st := testutil.MustRun(t, "status", "--name", name)
			if !strings.Contains(st.Stdout, "controller MetalLB v0.15.2") || !strings.Contains(st.Stdout, "metallb speaker on node1") {
				t.Errorf("status names neither MetalLB nor its speakers:\n%s", st.Stdout)
			}
			bgp := testutil.MustRun(t, "inspect", "bgp", "--name", name)
			if !strings.Contains(bgp.Stdout, "has no API that shows its speakers' sessions") {
				t.Errorf("inspect bgp does not say MetalLB has no session API:\n%s", bgp.Stdout)
			}
			breakSpeaker(t, name)

			testutil.MustRun(t, "down", "--name", name)
			if left := processesWith(name, "metallb"); len(left) > 0 {
				t.Errorf("MetalLB processes left after down: %v", left)
			}
		})
	}
}

// processesWith lists the processes whose command line holds word and
// whose environment points into the lab's state directory (KUBECONFIG or
// HOME): another controller's, which the lab's markers do not name.
func processesWith(labName, word string) []string {
	var out []string
	envs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range envs {
		env, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(env), "="+lab.StateDir(labName)+"/") {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		if strings.Contains(string(cmdline), word) {
			out = append(out, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

// TestIntegrationVerifyMetalLBL2 brings up MetalLB in L2 mode (an
// L2Advertisement of every pool, memberlist between the speakers, as
// upstream runs it) on the l2 and l2-dual topologies and expects every L2
// check to pass, and the BGP ones and lb-class to be skipped with the
// reason; l2-failover (a frozen speaker, then a node's link down) passes
// or fails on one of the README's findings, named.
func TestIntegrationVerifyMetalLBL2(t *testing.T) {
	testutil.Integration(t)
	for _, ln := range []struct{ topo, dp, name string }{
		{"l2", "iptables", "mlb-l2"},
		{"l2-dual", "nftables", "mlb-l2-dual"},
	} {
		t.Run(ln.name, func(t *testing.T) {
			name := ln.name
			testutil.MustRun(t, "up", "-t", ln.topo, "--name", name, "--dataplane", ln.dp, "--controller", "metallb")
			t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })

			v, res := verify(t, "--name", name)
			for _, r := range v.Results {
				switch {
				case r.Name == "l2-failover" && r.Status == "failed":
					// The findings (README): the IP moved and the
					// client's requests got through, but after the
					// restore MetalLB's owners did not hold within the
					// settle budget. After a cut link comes back, both
					// sides answer ARP until memberlist merges them (up
					// to its 30 s push/pull interval), then the IP moves
					// back, in about half the runs; after a frozen
					// speaker thaws and takes its IPv6 LB IP back, the
					// TOR's neighbour entry keeps the other node's MAC.
					linkBack := strings.Contains(r.Summary, `link down: step "settle after the restore": the owners did not hold for`)
					thawed := strings.Contains(r.Summary, `speaker stop: step "settle after the restore": the owners did not hold for`)
					if !linkBack && !thawed {
						t.Errorf("l2-failover failed otherwise than on the README's findings: %s", r.Summary)
					}
					t.Logf("l2-failover failed on a README finding: %s", r.Summary)
				case slices.Contains(bgpChecks, r.Name):
					if r.Status != "skipped" || !strings.Contains(r.Summary, "controller.mode l2") {
						t.Errorf("%s in an L2 lab: %s %q, want skipped with the reason", r.Name, r.Status, r.Summary)
					}
				case skippedForTopology(t, r):
				case r.Name == "lb-class":
					if r.Status != "skipped" {
						t.Errorf("lb-class in a lab of one controller: %s %q, want skipped", r.Status, r.Summary)
					}
				case r.Status != "passed":
					t.Errorf("%s: %s %q, want passed", r.Name, r.Status, r.Summary)
				}
			}
			if !strings.Contains(res.Stdout, `"controller": "MetalLB v0.15.2`) {
				t.Errorf("the report does not name MetalLB:\n%s", res.Stdout)
			}
			testutil.MustRun(t, "down", "--name", name)
			if left := processesWith(name, "metallb"); len(left) > 0 {
				t.Errorf("MetalLB processes left after down: %v", left)
			}
		})
	}
}
