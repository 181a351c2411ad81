package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/scenarios"
)

func init() { hostname = func() (string, error) { return "ci-host", nil } }

func sample() *Run {
	r := &Run{Lab: "bgp-ecmp", Backend: "netns", Dataplane: "iptables", Started: time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC),
		Duration: 12345 * time.Millisecond, Results: []scenarios.Result{
			{Name: "bgp-sessions", Outcome: scenarios.Outcome{Status: scenarios.Passed, Summary: "4 sessions Established with 4 speaker nodes"}, Duration: 120 * time.Millisecond, Attempts: 1},
			{Name: "ecmp-fib", Outcome: scenarios.Outcome{Status: scenarios.Failed,
				Summary:  "198.51.100.0/32 (default/web): missing next hop 10.89.0.13 (want 10.89.0.11, 10.89.0.12, 10.89.0.13, have 10.89.0.11, 10.89.0.12)",
				Reason:   "198.51.100.0/32 (default/web): missing next hop 10.89.0.13 <&> (still so after 80 attempts)",
				Evidence: []map[string]any{{"prefix": "198.51.100.0/32", "nexthops": []string{"10.89.0.11", "10.89.0.12"}}}},
				Duration: 20 * time.Second, Attempts: 80},
			{Name: "node-failover", Outcome: scenarios.Outcome{Status: scenarios.Skipped, Summary: "the backend cannot stop a speaker"}},
		}}
	r.Count()
	return r
}

func TestTable(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "table.golden"), b.Bytes())
	if !strings.Contains(b.String(), "FAILED ecmp-fib: 198.51.100.0/32") || !strings.Contains(b.String(), "1 passed, 1 failed, 1 skipped") {
		t.Errorf("table:\n%s", b.String())
	}
}

// TestJUnitValid parses the XML back and checks it against the rules of
// the JUnit schema CI systems use: a <testsuites> root; suites and cases
// with their required attributes; counts that match the cases; numeric
// times; exactly one of failure/skipped or neither per case.
func TestJUnitValid(t *testing.T) {
	var b bytes.Buffer
	if err := JUnit(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "junit.golden.xml"), b.Bytes())
	dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	for { // well-formed from the first token to the last
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed XML: %v", err)
			}
			break
		}
	}
	var doc Suites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName.Local != "testsuites" || len(doc.Suites) != 1 {
		t.Fatalf("root %q with %d suites", doc.XMLName.Local, len(doc.Suites))
	}
	s := doc.Suites[0]
	var failures, skipped int
	for _, c := range s.Cases {
		if c.Name == "" || c.Classname == "" {
			t.Errorf("case without name or classname: %+v", c)
		}
		if _, err := strconv.ParseFloat(c.Time, 64); err != nil {
			t.Errorf("case %s time %q", c.Name, c.Time)
		}
		if c.Failure != nil && c.Skipped != nil {
			t.Errorf("case %s both failed and skipped", c.Name)
		}
		if c.Failure != nil {
			failures++
			if c.Failure.Message == "" || !strings.Contains(c.Failure.Body, "10.89.0.12") {
				t.Errorf("failure without message or evidence: %+v", c.Failure)
			}
		}
		if c.Skipped != nil {
			skipped++
		}
	}
	if s.Tests != len(s.Cases) || s.Failures != failures || s.Skipped != skipped || doc.Tests != s.Tests || doc.Failures != failures {
		t.Errorf("counts: suites %d/%d/%d, suite %d/%d/%d, cases %d/%d/%d", doc.Tests, doc.Failures, doc.Skipped,
			s.Tests, s.Failures, s.Skipped, len(s.Cases), failures, skipped)
	}
	if _, err := time.Parse("2006-01-02T15:04:05", s.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", s.Timestamp, err)
	}
	if !strings.Contains(b.String(), "&lt;&amp;&gt;") {
		t.Error("special characters in a reason are not escaped")
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Failed  int
		Results []struct {
			Name     string
			Status   string
			Duration int64
			Evidence any
		}
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Failed != 1 || len(back.Results) != 3 || back.Results[1].Status != "failed" || back.Results[1].Evidence == nil {
		t.Errorf("json: %s", b.String())
	}
}

// TestTableCutsSummariesByCharacter: a long summary is cut to the column's
// width in characters, never inside a multi-byte one such as "→".
func TestTableCutsSummariesByCharacter(t *testing.T) {
	long := strings.Repeat("a", summaryWidth-2) + strings.Repeat("→", 5)
	r := &Run{Lab: "l", Results: []scenarios.Result{{Name: "reachability",
		Outcome: scenarios.Outcome{Status: scenarios.Passed, Summary: long}}}}
	r.Count()
	var b bytes.Buffer
	if err := Table(&b, r); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(b.Bytes()) {
		t.Fatalf("the table is not valid UTF-8:\n%q", b.String())
	}
	if want := strings.Repeat("a", summaryWidth-2) + "→…"; !strings.Contains(b.String(), want) {
		t.Errorf("summary not cut to %d characters:\n%s", summaryWidth, b.String())
	}
}
