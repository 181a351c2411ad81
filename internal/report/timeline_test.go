package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/scenarios"
)

// failoverSample is node-failover's evidence from a run that passed: a
// batch of five requests every 150 ms from half a second before the
// speaker's stop, two failed as the route was withdrawn (3.1 s) and one as
// it came back (4.35 s).
func failoverSample() scenarios.FailoverEvidence {
	n := []netip.Addr{netip.MustParseAddr("10.89.0.11"), netip.MustParseAddr("10.89.0.12"), netip.MustParseAddr("10.89.0.13")}
	ev := scenarios.FailoverEvidence{Service: "default/web", IP: netip.MustParseAddr("198.51.100.0"), Node: "node3", Nexthop: n[2],
		Before: n, After: n[:2], HoldTime: 3 * time.Second, Slack: time.Second, ChangeWindow: time.Second,
		Withdrawn: 3100 * time.Millisecond, RestoreAt: 4200 * time.Millisecond, Restored: 150 * time.Millisecond}
	for start := -500 * time.Millisecond; start < 4800*time.Millisecond; start += 150 * time.Millisecond {
		b := scenarios.FailoverBatch{Start: start, End: start + 100*time.Millisecond, OK: 5}
		switch {
		case b.Start <= ev.Withdrawn && b.End >= ev.Withdrawn-100*time.Millisecond:
			b.OK, b.Failed = 3, 2
		case b.Start <= 4350*time.Millisecond && b.End >= 4350*time.Millisecond:
			b.OK, b.Failed = 4, 1
		}
		ev.Timeline = append(ev.Timeline, b)
		ev.Requests += b.OK + b.Failed
		ev.Failed += b.Failed
		if b.Start > ev.Withdrawn && b.End < ev.RestoreAt+ev.Restored {
			ev.AfterWithdraw += b.OK
		}
	}
	ev.AtRouteChange = ev.Failed
	return ev
}

// TestTimeline compares the drawing with its golden file and checks that
// it is well-formed XML with a bar per batch part.
func TestTimeline(t *testing.T) {
	ev := failoverSample()
	svg := Timeline(ev)
	golden.Assert(t, filepath.Join("testdata", "timeline.golden.svg"), svg)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	fills := map[string]int{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					fills[a.Value]++
				}
			}
		}
	}
	failedBatches := 0
	for _, b := range ev.Timeline {
		if b.Failed > 0 {
			failedBatches++
		}
	}
	if fills["ok"] != len(ev.Timeline) || fills["failed"] != failedBatches {
		t.Errorf("bars %v, want %d ok and %d failed", fills, len(ev.Timeline), failedBatches)
	}
}

// TestTimelineMarkers: a run that stopped at a step draws only the moments
// it reached; evidence without a timeline draws nothing.
func TestTimelineMarkers(t *testing.T) {
	full := failoverSample()
	atWithdraw, atRestore := full, full
	atWithdraw.Step, atWithdraw.RestoreAt, atWithdraw.Restored = "withdraw", 0, 0
	atRestore.Step = "restore"
	tests := []struct {
		name string
		ev   scenarios.FailoverEvidence
		want []string
	}{
		{"passed", full, []string{"speaker stopped 0.00 s", "route withdrawn 3.10 s", "speaker restored 4.20 s", "route restored 4.35 s"}},
		{"withdraw failed", atWithdraw, []string{"speaker stopped 0.00 s"}},
		{"restore failed", atRestore, []string{"speaker stopped 0.00 s", "route withdrawn 3.10 s", "speaker restored 4.20 s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg := string(Timeline(tt.ev))
			if n := strings.Count(svg, `class="marker"`); n != len(tt.want) {
				t.Errorf("%d markers, want %d:\n%s", n, len(tt.want), svg)
			}
			for _, w := range tt.want {
				if !strings.Contains(svg, w) {
					t.Errorf("no %q:\n%s", w, svg)
				}
			}
		})
	}
	if svg := Timeline(scenarios.FailoverEvidence{Node: "node3"}); svg != nil {
		t.Errorf("no timeline drew %s", svg)
	}
}

// TestTimelineEscapes: the node's name, from the lab, is escaped.
func TestTimelineEscapes(t *testing.T) {
	ev := failoverSample()
	ev.Node = `<b>"x"&`
	if err := xml.Unmarshal(Timeline(ev), new(struct{})); err != nil {
		t.Fatalf("not well-formed: %v", err)
	}
}

func TestTickStep(t *testing.T) {
	for _, tt := range []struct{ span, want float64 }{{3, 0.5}, {5, 0.5}, {6, 1}, {15, 2}, {45, 5}, {900, 120}, {9000, 900}} {
		if got := tickStep(tt.span); got != tt.want {
			t.Errorf("tickStep(%v) = %v, want %v", tt.span, got, tt.want)
		}
	}
}
