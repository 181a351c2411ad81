package scenarios_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/testutil"
)

// ebpfLanes are the Cilium labs: the ebpf data plane on netns nodes.
var ebpfLanes = []struct{ topo, name string }{
	{"bgp-ecmp", "vfy-ecmp-bpf"},
	{"bgp-ecmp-dual", "vfy-dual-bpf"},
}

// TestIntegrationVerifyEBPF brings up each Cilium lab, expects every check
// to pass and `inspect bpf` to show the agents' real LB maps, breaks
// node2's map and expects dataplane-rules to name node2; after down the
// kernel must hold no BPF program or reachable map made since up (see
// bpfLeftovers), and the lab's cgroups and processes must be gone.
func TestIntegrationVerifyEBPF(t *testing.T) {
	testutil.Integration(t)
	for _, ln := range ebpfLanes {
		t.Run(ln.name, func(t *testing.T) {
			progs, maps := bpfObjects(t)
			testutil.MustRun(t, "up", "-t", ln.topo, "--name", ln.name, "--dataplane", "ebpf")
			t.Cleanup(func() {
				testutil.MustRun(t, "down", "--name", ln.name)
				// The kernel frees the programs and maps of the agents'
				// bpffs instances a moment after their last user exits.
				leaked, orphans := bpfLeftovers(t, progs, maps)
				for deadline := time.Now().Add(15 * time.Second); len(leaked)+len(orphans) > 0 && time.Now().Before(deadline); {
					time.Sleep(500 * time.Millisecond)
					leaked, orphans = bpfLeftovers(t, progs, maps)
				}
				if len(leaked) > 0 {
					t.Errorf("after down the kernel holds BPF objects made since up that user space can still reach: %v", leaked)
				}
				if len(orphans) > 0 {
					t.Logf("after down the kernel keeps maps that nothing holds (no program, process or bpffs): %v", orphans)
				}
				if left := testutil.Processes("/lblab/"+ln.name+"/", "cilium-agent"); len(left) > 0 {
					t.Errorf("processes of the lab left after down: %v", left)
				}
				for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
					if _, err := os.Stat(root + "/lblab/" + ln.name); err == nil {
						t.Errorf("cgroup %s/lblab/%s left after down", root, ln.name)
					}
				}
			})
			v, res := verify(t, "--name", ln.name)
			if res.ExitCode != 0 || v.Failed != 0 || v.Passed < 9 {
				t.Fatalf("verify: exit %d, %d passed, failed: %v\nstderr:\n%s", res.ExitCode, v.Passed, failedChecks(v), res.Stderr)
			}
			t.Logf("verify all green in %s", res.Duration)

			bpf := testutil.MustRun(t, "inspect", "bpf", "--name", ln.name, "--service", "default/web")
			wants := []string{"== node1", "== node2", "198.51.100.0:80/tcp"}
			if ln.topo == "bgp-ecmp-dual" {
				wants = append(wants, "2001:db8:100::")
			}
			for _, want := range wants {
				if !strings.Contains(bpf.Stdout, want) {
					t.Errorf("inspect bpf misses %q:\n%s", want, bpf.Stdout)
				}
			}
			st := testutil.MustRun(t, "exec", "--name", ln.name, "node1", "--", "cilium-dbg", "status", "--brief")
			if strings.TrimSpace(st.Stdout) != "OK" {
				t.Errorf("cilium-dbg status on node1: %q", st.Stdout)
			}

			checkSocketLB(t, ln.name)

			// A user deletes node2's entries for 198.51.100.0:80/TCP (the
			// frontend, slot 0, and its three backend slots) from the
			// agent's LB map with bpftool: the agent does not put them
			// back, and the check must name node2, and node2 alone.
			for slot := range 4 {
				// Service4Key: address, port (network order), slot
				// (host order), protocol, scope, padding.
				key := strings.Fields(fmt.Sprintf("c6 33 64 00 00 50 %02x 00 06 00 00 00", slot))
				testutil.MustRun(t, append([]string{"exec", "--name", ln.name, "node2", "--", "bpftool", "map", "delete",
					"pinned", "/sys/fs/bpf/tc/globals/cilium_lb4_services_v2", "key", "hex"}, key...)...)
			}
			bundle := t.TempDir()
			v, res = verify(t, "--name", ln.name, "--scenario", "dataplane-rules", "--timeout", "2s", "--bundle-dir", bundle)
			if res.ExitCode != 1 {
				t.Fatalf("verify with node2's LB frontends deleted: exit %d, want 1\n%s", res.ExitCode, res.Stdout)
			}
			if got := strings.Join(failedChecks(v), "\n"); !strings.Contains(got, "dataplane-rules: node2: ") || strings.Contains(got, "node1: ") {
				t.Errorf("failures do not name node2 alone:\n%s", got)
			}
			// The diagnostics bundle holds node2's map as the agent reads it.
			if data, err := os.ReadFile(filepath.Join(bundle, "hosts", "node2", "cilium-bpf-lb-list.json")); err != nil ||
				!strings.Contains(string(data), "10.244.") {
				t.Errorf("the bundle lacks node2's Cilium LB map: %v\n%s", err, data)
			}
		})
	}
}

// checkSocketLB: a process in one of node1's pod namespaces reaches web's
// ClusterIP once it is in node1's cgroup, where the agent attached its
// socket load balancer, and not from outside it: the agent's programs
// reach that node's pods, and nothing else on the machine.
func checkSocketLB(t *testing.T, lab string) {
	t.Helper()
	uid := testutil.MustRun(t, "kubectl", "--name", lab, "--", "get", "pods", "-l", "app=web", "--field-selector", "spec.nodeName=node1",
		"-o", "jsonpath={.items[0].metadata.uid}").Stdout
	ip := testutil.MustRun(t, "kubectl", "--name", lab, "--", "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}").Stdout
	cg := ""
	for _, root := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(root, "lblab", lab, "node1", "cgroup.procs")); err == nil {
			cg = filepath.Join(root, "lblab", lab, "node1")
			break
		}
	}
	if strings.TrimSpace(uid) == "" || strings.TrimSpace(ip) == "" || cg == "" {
		t.Fatalf("pod %q, ClusterIP %q, cgroup %q", uid, ip, cg)
	}
	curl := fmt.Sprintf("exec ip netns exec %s_pod-%s curl -sS -m 3 -o /dev/null -w %%{http_code} http://%s/", lab, strings.TrimSpace(uid), strings.TrimSpace(ip))
	in, err := exec.Command("sh", "-c", "echo $$ > "+cg+"/cgroup.procs && "+curl).CombinedOutput()
	if err != nil || string(in) != "200" {
		t.Errorf("in node1's cgroup, a pod's process got %q from the ClusterIP %s (%v)", in, ip, err)
	}
	if out, err := exec.Command("sh", "-c", curl).CombinedOutput(); err == nil {
		t.Errorf("outside node1's cgroup, a process in its pod's namespace reached the ClusterIP (%s): the socket LB is attached above the node", out)
	}
}
