package report

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"

	"github.com/lblab/lblab/scenarios"
)

// The timeline's geometry, in SVG user units: a plot of tlPlotH under
// four rows of marker labels, with the y-axis labels on its left and the
// x-axis ticks, caption and legend below it.
const (
	tlWidth  = 720.0
	tlLeft   = 44.0
	tlRight  = 16.0
	tlTop    = 64.0
	tlPlotH  = 120.0
	tlBottom = 44.0
	tlHeight = tlTop + tlPlotH + tlBottom
)

// The timeline's colours: requests that succeeded and failed, and a line
// per moment of the failover.
const (
	colourOK              = "#2e7d32"
	colourFailed          = "#c62828"
	colourSpeakerStopped  = "#424242"
	colourRouteWithdrawn  = "#1565c0"
	colourSpeakerRestored = "#6a1b9a"
	colourRouteRestored   = "#00838f"
)

// timelineMarker is a moment of the failover, drawn as a dashed line.
type timelineMarker struct {
	at     time.Duration
	label  string
	colour string
}

// markers returns the moments ev reached, in order: the speaker's stop
// (0), the route's withdraw, the speaker's restore and the route's return.
// A step that failed leaves out the moments it did not reach.
func markers(ev scenarios.FailoverEvidence) []timelineMarker {
	ms := []timelineMarker{{0, "speaker stopped", colourSpeakerStopped}}
	if ev.Withdrawn > 0 && ev.Step != "withdraw" {
		ms = append(ms, timelineMarker{ev.Withdrawn, "route withdrawn", colourRouteWithdrawn})
	}
	if ev.RestoreAt > 0 {
		ms = append(ms, timelineMarker{ev.RestoreAt, "speaker restored", colourSpeakerRestored})
		if ev.Restored > 0 && ev.Step != "restore" {
			ms = append(ms, timelineMarker{ev.RestoreAt + ev.Restored, "route restored", colourRouteRestored})
		}
	}
	return ms
}

// tickStep picks the spacing of the x-axis ticks, in seconds, so that a
// span gets at most ten of them.
func tickStep(span float64) float64 {
	for _, s := range []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300} {
		if span/s <= 10 {
			return s
		}
	}
	return math.Ceil(span/10/300) * 300
}

// Timeline draws node-failover's client traffic as an SVG element for
// inlining in HTML (it has no XML prolog or namespace declaration). The x
// axis is seconds since the speaker was stopped; each batch of requests is
// a bar from its start to its end, green up to the requests that
// succeeded and red above them for those that failed; dashed lines mark
// the speaker's stop, the route's withdraw, the speaker's restore and the
// route's return. It returns nil when ev has no timeline.
func Timeline(ev scenarios.FailoverEvidence) []byte {
	if len(ev.Timeline) == 0 {
		return nil
	}
	ms := markers(ev)
	lo, hi, ymax := 0.0, 0.0, 1
	for _, b := range ev.Timeline {
		lo, hi, ymax = min(lo, b.Start.Seconds()), max(hi, b.End.Seconds()), max(ymax, b.OK+b.Failed)
	}
	for _, m := range ms {
		hi = max(hi, m.at.Seconds())
	}
	step := tickStep(hi - lo)
	lo, hi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	if hi <= lo {
		hi = lo + step
	}
	x := func(s float64) float64 { return tlLeft + (s-lo)/(hi-lo)*(tlWidth-tlLeft-tlRight) }
	y := func(n int) float64 { return tlTop + tlPlotH - float64(n)/float64(ymax)*tlPlotH }
	base := y(0)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline" viewBox="0 0 %.0f %.0f" role="img" font-family="system-ui, sans-serif" font-size="11">`+"\n", tlWidth, tlHeight)
	fmt.Fprintf(&b, "<title>node-failover: client requests around the stop of %s's speaker</title>\n", html.EscapeString(ev.Node))
	// Axes, and the y axis's scale in requests per batch.
	fmt.Fprintf(&b, `<path d="M%.1f %.1fV%.1fH%.1f" fill="none" stroke="#9e9e9e"/>`+"\n", tlLeft, tlTop, base, tlWidth-tlRight)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">0</text>`+"\n", tlLeft-4, base+4)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%d req</text>`+"\n", tlLeft-4, tlTop+4, ymax)
	for s := lo; s <= hi+step/1000; s += step {
		fmt.Fprintf(&b, `<path d="M%.1f %.1fv4" stroke="#9e9e9e"/><text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n",
			x(s), base, x(s), base+16, strings.TrimSuffix(fmt.Sprintf("%.1f", s), ".0"))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">seconds since the speaker was stopped</text>`+"\n", tlLeft, tlHeight-6)
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f">ok</text>`+"\n",
		tlWidth-tlRight-120, tlHeight-15, colourOK, tlWidth-tlRight-106, tlHeight-6)
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f">failed</text>`+"\n",
		tlWidth-tlRight-70, tlHeight-15, colourFailed, tlWidth-tlRight-56, tlHeight-6)
	// The batches: green from the axis up, red above.
	for _, bt := range ev.Timeline {
		x1 := x(bt.Start.Seconds())
		w := max(x(bt.End.Seconds())-x1, 1)
		if bt.OK > 0 {
			fmt.Fprintf(&b, `<rect class="ok" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x1, y(bt.OK), w, base-y(bt.OK), colourOK)
		}
		if bt.Failed > 0 {
			fmt.Fprintf(&b, `<rect class="failed" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n",
				x1, y(bt.OK+bt.Failed), w, y(bt.OK)-y(bt.OK+bt.Failed), colourFailed)
		}
	}
	// The moments, with a row of labels each so that close ones do not
	// overlap; the labels go over every line, on a white halo.
	row := func(i int) float64 { return 12 + float64(i%4)*14 }
	for i, m := range ms {
		fmt.Fprintf(&b, `<path class="marker" d="M%.1f %.1fV%.1f" stroke="%s" stroke-dasharray="4 3"/>`+"\n", x(m.at.Seconds()), row(i)+3, base, m.colour)
	}
	for i, m := range ms {
		anchor, tx := "start", x(m.at.Seconds())+3
		if tx > tlWidth*0.7 {
			anchor, tx = "end", tx-6
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s" fill="%s" stroke="#fff" stroke-width="3" paint-order="stroke">%s %s</text>`+"\n",
			tx, row(i), anchor, m.colour, m.label, secondsLabel(m.at))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// secondsLabel writes d as seconds with two decimals ("3.21 s").
func secondsLabel(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
