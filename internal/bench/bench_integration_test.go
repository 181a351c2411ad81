package bench_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/bench"
	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationBench runs `lblab bench --controller lblab,metallb
// --services 100` with a plot, and asserts that every figure was produced
// for both controllers (not what the figures are: speed is the README's),
// that the plot was drawn, and that no lab is left behind.
func TestIntegrationBench(t *testing.T) {
	testutil.Integration(t)
	const name = "bench-ci"
	plot := filepath.Join(t.TempDir(), "bench.svg")
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	res := testutil.MustRun(t, "bench", "--name", name, "--controller", "lblab,metallb", "--services", "100",
		"-o", "json", "--plot", plot)
	var rep struct {
		Machine string
		Results []json.RawMessage
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatalf("bench -o json: %v\n%s", err, res.Stdout)
	}
	if len(rep.Results) != 2 || rep.Machine == "" {
		t.Fatalf("want 2 results and the machine, got %d, %q", len(rep.Results), rep.Machine)
	}
	for i, want := range []string{"lblab", "metallb"} {
		var r bench.Result
		if err := json.Unmarshal(rep.Results[i], &r); err != nil {
			t.Fatal(err)
		}
		if r.Controller != want || r.Version == "" || len(r.Speakers) == 0 {
			t.Errorf("result %d: controller %q version %q speakers %v, want %s described", i, r.Controller, r.Version, r.Speakers, want)
		}
		checkFigures(t, &r)
		if want == "lblab" && r.Breakdown == nil {
			t.Errorf("lblab: no breakdown of create → UPDATE (notes: %v)", r.Notes)
		}
	}
	svg, err := os.ReadFile(plot)
	if err != nil {
		t.Fatalf("--plot: %v", err)
	}
	for _, s := range []string{"<svg", "lblab", "metallb", "churn of 100 Services"} {
		if !strings.Contains(string(svg), s) {
			t.Errorf("the plot lacks %q", s)
		}
	}
	if _, err := os.Stat("/run/netns/" + name + "_tor"); err == nil {
		t.Errorf("the bench left lab %s's TOR namespace behind", name)
	}
}

// checkFigures asserts that every figure of r was measured.
func checkFigures(t *testing.T, r *bench.Result) {
	t.Helper()
	l := r.Latency
	for what, d := range map[string]bench.Dist{"create → status": l.Status, "create → first UPDATE": l.FirstUpdate,
		"create → UPDATE from every speaker": l.AllUpdates, "create → FIB": l.FIB, "delete → withdrawal": l.Withdrawn, "delete → gone": l.Gone} {
		if d.N != l.Services || d.P50 <= 0 || d.Max < d.P99 || d.P99 < d.P90 || d.P90 < d.P50 {
			t.Errorf("%s: %s: n %d of %d, p50 %v p90 %v p99 %v max %v", r.Controller, what, d.N, l.Services, d.P50, d.P90, d.P99, d.Max)
		}
	}
	if len(r.Churn) != 1 {
		t.Fatalf("%s: %d churns, want 1", r.Controller, len(r.Churn))
	}
	c := r.Churn[0]
	if c.Services != 100 || c.WithIP != 100 || c.Routed != 100 || c.Gone != 100 || !c.AllGone || c.Created <= 0 || c.LastRoute == 0 || c.Deleted <= 0 {
		t.Errorf("%s: churn: %+v", r.Controller, c)
	}
	if n := len(c.Curve); n == 0 || c.Curve[n-1].Routed != 100 || c.Curve[n-1].Created != 100 {
		t.Errorf("%s: churn curve ends at %+v, want 100 created and routed", r.Controller, c.Curve[max(0, n-1):])
	}
	procs := map[string]int{}
	for _, m := range c.Memory {
		procs[m.Process]++
		if m.RSS <= 0 || m.PSS <= 0 || m.Anon <= 0 {
			t.Errorf("%s: %s on %s: RSS %.1f PSS %.1f anon %.1f MiB", r.Controller, m.Process, m.Host, m.RSS, m.PSS, m.Anon)
		}
	}
	if len(procs) != 2 || procs[firstProcess(r.Controller)] != 1 {
		t.Errorf("%s: memory of %v, want its allocator once and its speakers", r.Controller, procs)
	}
}

func firstProcess(controller string) string {
	if controller == "metallb" {
		return "metallb-controller"
	}
	return "controller"
}
