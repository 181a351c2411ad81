package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// loadReport reads testdata/bench.json: the JSON report of a real
// `lblab bench --controller lblab,metallb,kube-vip --services 100,1000`
// run on this project's machine.
func loadReport(t *testing.T) Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Results) < 2 {
		t.Fatalf("testdata/bench.json has %d results, want 2 or more", len(r.Results))
	}
	return r
}

// TestWriteTable renders the recorded report as the table `lblab bench`
// prints (golden file; go test -run TestWriteTable -update rewrites it).
func TestWriteTable(t *testing.T) {
	r := loadReport(t)
	var buf bytes.Buffer
	if err := WriteTable(&buf, r.Results); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "table.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Errorf("table differs from %s (-update rewrites it):\n%s", golden, buf.String())
	}
	// Every controller has a column and every later one a ratio column.
	head := strings.SplitN(buf.String(), "\n", 2)[0]
	for i, res := range r.Results {
		name := strings.ToUpper(res.Controller)
		if !strings.Contains(head, name) || (i > 0 && !strings.Contains(head, name+"/"+strings.ToUpper(r.Results[0].Controller))) {
			t.Errorf("header %q lacks %s or its ratio", head, name)
		}
	}
}

// TestJSONRoundTrip: WriteJSON writes what the report read back holds.
func TestJSONRoundTrip(t *testing.T) {
	r := loadReport(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != len(r.Results) || back.Results[0].Latency.FIB.P50 != r.Results[0].Latency.FIB.P50 {
		t.Errorf("round trip changed the report: %+v", back.Results[0].Latency.FIB)
	}
}

// TestPlot draws the recorded report as SVG and PNG.
func TestPlot(t *testing.T) {
	r := loadReport(t)
	dir := t.TempDir()
	for _, name := range []string{"bench.svg", "bench.png"} {
		path := filepath.Join(dir, name)
		if err := Plot(path, r.Results); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(name, ".png") && !bytes.HasPrefix(data, []byte("\x89PNG")):
			t.Errorf("%s is not a PNG", name)
		case strings.HasSuffix(name, ".svg"):
			for _, res := range r.Results {
				if !bytes.Contains(data, []byte(res.Controller)) {
					t.Errorf("%s does not name %s", name, res.Controller)
				}
			}
		}
	}
	// A controller that failed before it measured anything is drawn
	// without lines, not refused.
	failed := append(r.Results, &Result{Controller: "failed"})
	if err := Plot(filepath.Join(dir, "failed.svg"), failed[len(failed)-1:]); err != nil {
		t.Errorf("a plot of a controller without figures: %v", err)
	}
	if err := Plot(filepath.Join(dir, "bench.pdf"), r.Results); err == nil || !strings.Contains(err.Error(), ".svg or .png") {
		t.Errorf("a .pdf plot: err = %v, want one naming .svg or .png", err)
	}
}
