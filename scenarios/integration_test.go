package scenarios_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/backend/netns"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/testutil"
)

type verifyJSON struct {
	Passed, Failed, Skipped int
	Diagnostics             string
	Results                 []struct {
		Name    string
		Status  string
		Summary string
	}
}

func verify(t *testing.T, args ...string) (verifyJSON, testutil.Result) {
	t.Helper()
	res := testutil.Run(t, append([]string{"verify", "-o", "json"}, args...)...)
	var v verifyJSON
	if err := json.Unmarshal([]byte(res.Stdout), &v); err != nil {
		t.Fatalf("verify %v: exit %d, not JSON: %v\nstdout:\n%s\nstderr:\n%s", args, res.ExitCode, err, res.Stdout, res.Stderr)
	}
	return v, res
}

func failedChecks(v verifyJSON) []string {
	var out []string
	for _, r := range v.Results {
		if r.Status == "failed" {
			out = append(out, r.Name+": "+r.Summary)
		}
	}
	return out
}

// TestIntegrationVerify brings up bgp-ecmp and bgp-ecmp-dual with each data
// plane that runs here, expects every check to pass, then breaks the lab on
// purpose and expects verify to name the right check and exit 1.
func TestIntegrationVerify(t *testing.T) {
	testutil.Integration(t)
	for _, topo := range []string{"bgp-ecmp", "bgp-ecmp-dual"} {
		for _, dp := range []string{"iptables", "nftables"} {
			name := fmt.Sprintf("vfy-%s-%s", strings.TrimPrefix(topo, "bgp-"), dp[:3])
			t.Run(topo+"/"+dp, func(t *testing.T) {
				testutil.MustRun(t, "up", "-t", topo, "--name", name, "--dataplane", dp)
				t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })

				if topo == "bgp-ecmp" && dp == "iptables" {
					// Alone and straight after up, while the speakers may
					// still be peering: node-failover waits for its route.
					v, res := verify(t, "--name", name, "--scenario", "node-failover")
					if res.ExitCode != 0 || v.Passed != 1 {
						t.Fatalf("node-failover right after up: exit %d, failed: %v\nstderr:\n%s", res.ExitCode, failedChecks(v), res.Stderr)
					}
				}
				v, res := verify(t, "--name", name)
				if res.ExitCode != 0 || v.Failed != 0 || v.Passed < 9 {
					t.Fatalf("verify: exit %d, %d passed, failed: %v\nstderr:\n%s", res.ExitCode, v.Passed, failedChecks(v), res.Stderr)
				}
				t.Logf("verify all green in %s", res.Duration)

				if dp == "iptables" {
					ipt := testutil.MustRun(t, "inspect", "ipt", "--name", name, "--service", "default/web")
					for _, want := range []string{"-A KUBE-SERVICES", "KUBE-EXT-", "KUBE-SVC-", "KUBE-SEP-", "DNAT"} {
						if !strings.Contains(ipt.Stdout, want) {
							t.Errorf("inspect ipt misses %q:\n%s", want, ipt.Stdout)
						}
					}
				}
				junit := testutil.Run(t, "verify", "--name", name, "--scenario", "bgp-sessions,ecmp-fib", "-o", "junit")
				if junit.ExitCode != 0 || !strings.Contains(junit.Stdout, `<testsuites name="lblab verify" tests="2" failures="0"`) {
					t.Errorf("junit: exit %d\n%s", junit.ExitCode, junit.Stdout)
				}

				breakSpeaker(t, name)
				breakNAT(t, name, dp)
			})
		}
	}
}

// breakSpeaker freezes node1's speaker: after the hold time its next hop
// leaves the TOR, and ecmp-fib must fail naming it.
func breakSpeaker(t *testing.T, labName string) {
	ctx := context.Background()
	// The test drives a real netns lab: it may use that backend, the
	// package under test may not (TestLayers in internal/lab).
	restore, err := netns.New(netns.Options{}).(lab.SpeakerBackend).Speakers(labName).StopSpeaker(ctx, "node1")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := restore(ctx); err != nil {
			t.Error(err)
		}
	}()
	time.Sleep(10 * time.Second) // the hold time is 9 s
	bundle := t.TempDir()
	v, res := verify(t, "--name", labName, "--scenario", "ecmp-rib,ecmp-fib,bgp-sessions", "--timeout", "3s", "--bundle-dir", bundle)
	if res.ExitCode != 1 {
		t.Fatalf("verify with a stopped speaker: exit %d, want 1\n%s", res.ExitCode, res.Stdout)
	}
	got := strings.Join(failedChecks(v), "\n")
	for _, want := range []string{"ecmp-fib: ", "missing next hop", "bgp-sessions: "} {
		if !strings.Contains(got, want) {
			t.Errorf("failures do not name %q:\n%s", want, got)
		}
	}
	if v.Diagnostics != bundle || !strings.Contains(res.Stderr, "Diagnostics bundle: "+bundle) {
		t.Errorf("no diagnostics bundle reported: %q", res.Stderr)
	}
	for _, f := range []string{"hosts/tor/bgp-ipv4-unicast.json", "hosts/node1/iptables-save.txt", "kubernetes/services.yaml", "results.json"} {
		if _, err := os.Stat(filepath.Join(bundle, f)); err != nil && !(strings.Contains(f, "iptables") && strings.Contains(labName, "nft")) {
			t.Errorf("bundle lacks %s: %v", f, err)
		}
	}
}

// breakNAT flushes node2's NAT rules: dataplane-rules must fail naming node2.
func breakNAT(t *testing.T, lab, dp string) {
	ns := lab + "_node2"
	argv := []string{"netns", "exec", ns, "iptables", "-t", "nat", "-F"}
	if dp == "nftables" {
		argv = []string{"netns", "exec", ns, "nft", "flush", "table", "ip", "kube-proxy"}
	}
	if out, err := exec.Command("ip", argv...).CombinedOutput(); err != nil {
		t.Fatalf("ip %v: %v: %s", argv, err, out)
	}
	v, res := verify(t, "--name", lab, "--scenario", "dataplane-rules", "--timeout", "2s", "--bundle-dir", t.TempDir())
	if res.ExitCode != 1 {
		t.Fatalf("verify with a flushed nat table: exit %d, want 1\n%s", res.ExitCode, res.Stdout)
	}
	if got := strings.Join(failedChecks(v), "\n"); !strings.Contains(got, "dataplane-rules: node2: ") || strings.Contains(got, "node1: ") {
		t.Errorf("failures do not name node2 alone:\n%s", got)
	}
}
