package scenarios_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
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
// kernel must hold exactly the BPF programs and maps it held before, and
// the lab's cgroups must be gone.
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
				p, m := bpfObjects(t)
				for deadline := time.Now().Add(15 * time.Second); (p != progs || m != maps) && time.Now().Before(deadline); {
					time.Sleep(500 * time.Millisecond)
					p, m = bpfObjects(t)
				}
				if p != progs || m != maps {
					t.Errorf("after down the kernel holds %d BPF programs and %d maps, before up %d and %d", p, m, progs, maps)
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
			v, res = verify(t, "--name", ln.name, "--scenario", "dataplane-rules", "--timeout", "2s", "--bundle-dir", t.TempDir())
			if res.ExitCode != 1 {
				t.Fatalf("verify with node2's LB frontends deleted: exit %d, want 1\n%s", res.ExitCode, res.Stdout)
			}
			if got := strings.Join(failedChecks(v), "\n"); !strings.Contains(got, "dataplane-rules: node2: ") || strings.Contains(got, "node1: ") {
				t.Errorf("failures do not name node2 alone:\n%s", got)
			}
		})
	}
}

// bpfObjects counts the kernel's BPF programs and maps (bpftool).
func bpfObjects(t *testing.T) (progs, maps int) {
	t.Helper()
	count := func(what string) int {
		out, err := exec.Command("bpftool", what, "show", "-j").Output()
		if err != nil {
			t.Fatalf("bpftool %s show: %v (install the Debian package bpftool: make setup)", what, err)
		}
		var objs []json.RawMessage
		if err := json.Unmarshal(out, &objs); err != nil {
			t.Fatalf("bpftool %s show -j: %v", what, err)
		}
		return len(objs)
	}
	return count("prog"), count("map")
}
