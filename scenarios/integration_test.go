package scenarios_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
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
	Results                 []checkJSON
}

// checkJSON is one check's line in verify -o json.
type checkJSON struct {
	Name     string
	Status   string
	Summary  string
	Evidence json.RawMessage
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

// lanes are the labs TestIntegrationVerify proves: every data plane that
// runs on this machine, in both families. ipvs runs on user-mode Linux
// workers (this kernel has no IP_VS); iptables on uml proves the node kind
// apart from IPVS.
var lanes = []struct {
	topo, dp, name string
	extra          []string
}{
	{"bgp-ecmp", "iptables", "vfy-ecmp-ipt", nil},
	{"bgp-ecmp", "nftables", "vfy-ecmp-nft", nil},
	{"bgp-ecmp-dual", "iptables", "vfy-dual-ipt", nil},
	{"bgp-ecmp-dual", "nftables", "vfy-dual-nft", nil},
	{"bgp-ecmp", "ipvs", "vfy-ecmp-ipv", []string{"--node-kernel", "uml"}},
	{"bgp-ecmp-dual", "ipvs", "vfy-dual-ipv", []string{"--node-kernel", "uml"}},
	{"bgp-ecmp", "iptables", "vfy-ecmp-ipt-uml", []string{"--node-kernel", "uml"}},
	// BFD on every session: node-failover must withdraw within the BFD
	// detection time, not the hold time.
	{"bgp-ecmp-bfd", "iptables", "vfy-ecmp-bfd", nil},
}

// TestIntegrationVerify brings up each lane, expects every check to pass,
// then breaks the lab on purpose and expects verify to name the right
// check and exit 1.
func TestIntegrationVerify(t *testing.T) {
	testutil.Integration(t)
	for _, ln := range lanes {
		name, topo, dp := ln.name, ln.topo, ln.dp
		t.Run(name, func(t *testing.T) {
			testutil.MustRun(t, append([]string{"up", "-t", topo, "--name", name, "--dataplane", dp}, ln.extra...)...)
			t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })

			if name == "vfy-ecmp-ipt" {
				// Alone and straight after up, while the speakers may
				// still be peering: node-failover waits for its route.
				// As an HTML report, opened in Chromium.
				checkHTMLReport(t, name, "node-failover")
			}
			v, res := verify(t, "--name", name)
			if res.ExitCode != 0 || v.Failed != 0 || v.Passed < 9 {
				t.Fatalf("verify: exit %d, %d passed, failed: %v\nstderr:\n%s", res.ExitCode, v.Passed, failedChecks(v), res.Stderr)
			}
			t.Logf("verify all green in %s", res.Duration)
			families := []string{"IPv4"}
			if topo == "bgp-ecmp-dual" {
				families = append(families, "IPv6")
			}
			checkGraph(t, name, families, topo == "bgp-ecmp-bfd")

			switch dp {
			case "iptables":
				ipt := testutil.MustRun(t, "inspect", "ipt", "--name", name, "--service", "default/web")
				for _, want := range []string{"-A KUBE-SERVICES", "KUBE-EXT-", "KUBE-SVC-", "KUBE-SEP-", "DNAT"} {
					if !strings.Contains(ipt.Stdout, want) {
						t.Errorf("inspect ipt misses %q:\n%s", want, ipt.Stdout)
					}
				}
			case "ipvs":
				ipv := testutil.MustRun(t, "inspect", "ipv", "--name", name, "--service", "default/web")
				for _, want := range []string{"== node1", "198.51.100.0:80/tcp", "rr", "Masq", "yes"} {
					if !strings.Contains(ipv.Stdout, want) {
						t.Errorf("inspect ipv misses %q:\n%s", want, ipv.Stdout)
					}
				}
			}
			junit := testutil.Run(t, "verify", "--name", name, "--scenario", "bgp-sessions,ecmp-fib", "-o", "junit")
			if junit.ExitCode != 0 || !strings.Contains(junit.Stdout, `<testsuites name="lblab verify" tests="2" failures="0"`) {
				t.Errorf("junit: exit %d\n%s", junit.ExitCode, junit.Stdout)
			}

			breakSpeaker(t, name)
			breakDataplane(t, name, dp, slices.Contains(ln.extra, "uml"))
		})
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
	checkGraphBroken(t, labName)
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

// breakDataplane removes node2's rules for Services (NAT rules, the
// kube-proxy nftables table, or every IPVS virtual server), through
// `lblab exec` as a user would: dataplane-rules must fail naming node2.
//
// On user-mode Linux nodes one observation of every node takes seconds
// on a loaded machine, longer than kube-proxy may take to put the rules
// back: node2's kube-proxy is frozen (pkill in the guest sees that node's
// processes only) for a longer deadline, and thawed after.
func breakDataplane(t *testing.T, lab, dp string, uml bool) {
	argv := map[string][]string{
		"iptables": {"iptables", "-t", "nat", "-F"},
		"nftables": {"nft", "flush", "table", "ip", "kube-proxy"},
		"ipvs":     {"ipvsadm", "-C"},
	}[dp]
	timeout := "2s"
	if uml {
		testutil.MustRun(t, "exec", "--name", lab, "node2", "--", "pkill", "-STOP", "-x", "kube-proxy")
		defer testutil.MustRun(t, "exec", "--name", lab, "node2", "--", "pkill", "-CONT", "-x", "kube-proxy")
		timeout = "15s"
	}
	testutil.MustRun(t, append([]string{"exec", "--name", lab, "node2", "--"}, argv...)...)
	v, res := verify(t, "--name", lab, "--scenario", "dataplane-rules", "--timeout", timeout, "--bundle-dir", t.TempDir())
	if res.ExitCode != 1 {
		t.Fatalf("verify with a flushed nat table: exit %d, want 1\n%s", res.ExitCode, res.Stdout)
	}
	if got := strings.Join(failedChecks(v), "\n"); !strings.Contains(got, "dataplane-rules: node2: ") || strings.Contains(got, "node1: ") {
		t.Errorf("failures do not name node2 alone:\n%s", got)
	}
}
