package scenarios_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/testutil"
)

// l2Lanes are the L2-mode labs TestIntegrationVerifyL2 proves, one per
// family set.
var l2Lanes = []struct {
	topo, dp, name string
	v6             bool
}{
	{"l2", "iptables", "vfy-l2", false},
	{"l2-dual", "nftables", "vfy-l2-dual", true},
}

// bgpChecks are the checks an L2 lab must skip, saying why.
var bgpChecks = []string{"bgp-sessions", "ecmp-rib", "ecmp-fib", "node-failover"}

// topologyChecks judge what only some topologies have (an lb host, an
// API server VIP), with the reason they give elsewhere: every other lab
// must report them skipped for it, never passed.
var topologyChecks = map[string]string{
	"external-lb-backends": "externalLB is unset",
	"nodeport-only":        "externalLB is unset",
	"cp-vip":               "controlPlane is unset",
	"cp-failover":          "controlPlane is unset",
}

// skippedForTopology reports whether r is one of topologyChecks, and,
// through t, whether it was skipped for the right reason.
func skippedForTopology(t *testing.T, r checkJSON) bool {
	t.Helper()
	why, ok := topologyChecks[r.Name]
	if !ok {
		return false
	}
	if r.Status != "skipped" || !strings.Contains(r.Summary, why) {
		t.Errorf("%s in a lab without it: %s %q, want skipped because %s", r.Name, r.Status, r.Summary, why)
	}
	return true
}

// TestIntegrationVerifyL2 brings up each L2 lab, expects every check to
// pass or (for the BGP ones) be skipped with the reason, reads the
// owners where a user would (Leases, SpeakerStatus, Service events), then
// makes a second node answer for an LB IP, as an address conflict would,
// and expects l2-owner to fail naming it.
func TestIntegrationVerifyL2(t *testing.T) {
	testutil.Integration(t)
	for _, ln := range l2Lanes {
		t.Run(ln.name, func(t *testing.T) {
			name := ln.name
			testutil.MustRun(t, "up", "-t", ln.topo, "--name", name, "--dataplane", ln.dp)
			t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })

			v, res := verify(t, "--name", name)
			if res.ExitCode != 0 || v.Failed != 0 {
				t.Fatalf("verify: exit %d, failed: %v\nstderr:\n%s", res.ExitCode, failedChecks(v), res.Stderr)
			}
			owners := map[string]string{}
			for _, r := range v.Results {
				switch {
				case r.Name == "l2-owner" && r.Status == "passed":
					for _, m := range regexp.MustCompile(`(\S+) → (node\d+)`).FindAllStringSubmatch(r.Summary, -1) {
						owners[m[1]] = m[2]
					}
				case strings.Contains(strings.Join(bgpChecks, " "), r.Name):
					if r.Status != "skipped" || !strings.Contains(r.Summary, "controller.mode l2") {
						t.Errorf("%s in an L2 lab: %s %q, want skipped with the reason", r.Name, r.Status, r.Summary)
					}
				case skippedForTopology(t, r):
				case r.Name == "lb-class":
					if r.Status != "skipped" || !strings.Contains(r.Summary, "runs one controller") {
						t.Errorf("lb-class in a lab of one controller: %s %q, want skipped with the reason", r.Status, r.Summary)
					}
				case r.Status != "passed":
					t.Errorf("%s: %s %q", r.Name, r.Status, r.Summary)
				}
			}
			if want := map[bool]int{false: 1, true: 2}[ln.v6]; len(owners) != want {
				t.Fatalf("l2-owner named owners %v, want %d LB IPs", owners, want)
			}
			t.Logf("verify all green in %s; owners %v", res.Duration, owners)
			checkL2Visible(t, name, owners)
			dot := testutil.MustRun(t, "graph", "--name", name, "-o", "dot").Stdout
			for ip, node := range owners {
				proto := map[bool]string{false: "ARP", true: "NDP"}[strings.Contains(ip, ":")]
				if e := dotEdges(dot, "lbip/"+ip, "host/"+node); len(e) != 1 || !strings.Contains(e[0], `label="`+proto+` owner"`) {
					t.Errorf("graph: %s → %s is %q, want one %s owner edge", ip, node, e, proto)
				}
			}
			breakL2(t, name, owners)
			breakDataplane(t, name, ln.dp, false)
		})
	}
}

// checkL2Visible reads the owners with kubectl: one Lease per node, each
// LB IP in exactly its owner's SpeakerStatus, and an L2Owner event.
func checkL2Visible(t *testing.T, name string, owners map[string]string) {
	t.Helper()
	leases := testutil.MustRun(t, "kubectl", "--name", name, "--", "get", "leases", "-n", "lblab-node-lease", "-o", "name").Stdout
	if n := strings.Count(leases, "lblab-speaker-"); n != 4 {
		t.Errorf("%d speaker leases in lblab-node-lease, want one per node (4):\n%s", n, leases)
	}
	raw := testutil.MustRun(t, "kubectl", "--name", name, "--", "get", "speakerstatuses", "-o", "json").Stdout
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
			Status   struct {
				L2 []struct{ IP, Service, Interface string }
			}
		}
	}
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		t.Fatal(err)
	}
	claimed := map[string][]string{}
	for _, it := range list.Items {
		for _, a := range it.Status.L2 {
			claimed[a.IP] = append(claimed[a.IP], it.Metadata.Name)
		}
	}
	for ip, node := range owners {
		if got := claimed[ip]; len(got) != 1 || got[0] != node {
			t.Errorf("SpeakerStatus: %s claimed by %v, but %s answers it", ip, got, node)
		}
	}
	ev := testutil.MustRun(t, "kubectl", "--name", name, "--", "get", "events", "-n", "default",
		"--field-selector", "reason=L2Owner,involvedObject.name=web", "-o", "custom-columns=MSG:.note,MSG2:.message").Stdout
	for ip, node := range owners {
		if !strings.Contains(ev, node+" answers") || !strings.Contains(ev, ip) {
			t.Errorf("no L2Owner event says %s answers for %s:\n%s", node, ip, ev)
		}
	}
}

// breakL2 puts the IPv4 LB IP on another node's fabric interface: that
// node's kernel answers ARP for it too, and l2-owner must fail naming two
// MACs.
func breakL2(t *testing.T, name string, owners map[string]string) {
	t.Helper()
	var ip, owner string
	for a, n := range owners {
		if !strings.Contains(a, ":") {
			ip, owner = a, n
		}
	}
	other := "node1"
	if owner == other {
		other = "node3"
	}
	testutil.MustRun(t, "exec", "--name", name, other, "--", "ip", "addr", "add", ip+"/32", "dev", "eth0")
	defer testutil.MustRun(t, "exec", "--name", name, other, "--", "ip", "addr", "del", ip+"/32", "dev", "eth0")
	v, res := verify(t, "--name", name, "--scenario", "l2-owner", "--timeout", "3s", "--bundle-dir", t.TempDir())
	got := strings.Join(failedChecks(v), "\n")
	if res.ExitCode != 1 || !strings.Contains(got, ip+" (default/web) is answered by 2 MACs") || !strings.Contains(got, other) {
		t.Errorf("with %s also on %s: exit %d, failures %q; want l2-owner to name two MACs", ip, other, res.ExitCode, got)
	}
}
