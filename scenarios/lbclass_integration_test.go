package scenarios_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationVerifyLBClass brings up MetalLB and lblab side by side
// (topologies/lb-class.yaml: MetalLB for class-less Services, lblab for
// class lblab.dev/lb, each node peering twice) and expects every check to
// pass, lb-class among them, with both controllers named. Then a rogue
// second lblab controller that also takes class-less Services joins, and
// lb-class must fail and name it on a MetalLB Service: the check can tell
// a fight. Nothing of either controller is left after down.
func TestIntegrationVerifyLBClass(t *testing.T) {
	testutil.Integration(t)
	const name = "mlb-class"
	testutil.MustRun(t, "up", "-t", "lb-class", "--name", name)
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })

	v, res := verify(t, "--name", name)
	if res.ExitCode != 0 || v.Failed != 0 || v.Passed < 11 {
		t.Fatalf("verify: exit %d, %d passed, failed: %v\nstderr:\n%s", res.ExitCode, v.Passed, failedChecks(v), res.Stderr)
	}
	for _, r := range v.Results {
		switch {
		case r.Name == "lb-class" && (r.Status != "passed" || !strings.Contains(r.Summary, "metallb serves 2") || !strings.Contains(r.Summary, "lblab serves 2")):
			t.Errorf("lb-class: %s %q, want passed with 2 Services each (the topology's and a new one)", r.Status, r.Summary)
		case r.Name == "bgp-sessions" && !strings.Contains(r.Summary, "8 sessions Established"):
			t.Errorf("bgp-sessions: %q, want 8 sessions (MetalLB's and lblab's speaker on each of 4 nodes)", r.Summary)
		}
	}
	if !strings.Contains(res.Stdout, "MetalLB v0.15.2 (native BGP), and lblab") {
		t.Errorf("the report does not name both controllers:\n%s", res.Stdout)
	}
	st := testutil.MustRun(t, "status", "--name", name)
	for _, want := range []string{"for class lblab.dev/lb", "metallb speaker on node1", "lblab speaker on node1"} {
		if !strings.Contains(st.Stdout, want) {
			t.Errorf("status does not say %q:\n%s", want, st.Stdout)
		}
	}

	rogue(t, name)
	v, res = verify(t, "--name", name, "--scenario", "lb-class")
	if res.ExitCode != 1 || len(v.Results) != 1 || v.Results[0].Status != "failed" ||
		!strings.Contains(v.Results[0].Summary, "lblab-controller") {
		t.Errorf("lb-class with a rogue controller taking class-less Services: exit %d, %+v; want it failed naming lblab-controller", res.ExitCode, v.Results)
	}

	testutil.MustRun(t, "down", "--name", name)
	for _, w := range []string{"metallb", "lblab controller", "lblab speaker"} {
		if left := processesWith(name, w); len(left) > 0 {
			t.Errorf("%s processes left after down: %v", w, left)
		}
	}
}

// rogue starts, in the control-plane node, a second lblab controller
// with lblab's token that handles class-less Services too (a lease of
// its own, so it leads at once), and stops it when the test ends.
func rogue(t *testing.T, labName string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	kc := filepath.Join(lab.StateDir(labName), "kubeconfigs", "lblab-controller.conf")
	cmd := exec.CommandContext(ctx, testutil.Binary(t), "exec", "--name", labName, "control-plane", "--",
		testutil.Binary(t), "controller", "--kubeconfig="+kc, "--metrics-addr=:7492",
		"--lease-name=rogue", "--identity=rogue", "--handle-classless=true")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("rogue controller's output:\n%s", out.String())
		}
	})
	time.Sleep(2 * time.Second) // it leads its own lease within a second
}
