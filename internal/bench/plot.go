package bench

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot draws two panels into path (.svg or .png): the CDF of create →
// every next hop in the TOR's FIB, one line per controller, and the
// largest churn's routes in the FIB over time, with the Services created
// dashed in the same colour. Each line is named at its end.
func Plot(path string, rs []*Result) error {
	cdf, err := cdfPlot(rs)
	if err != nil {
		return err
	}
	churn, err := churnPlot(rs)
	if err != nil {
		return err
	}
	w, h := 28*vg.Centimeter, 11*vg.Centimeter
	var c vg.CanvasWriterTo
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg":
		c = vgsvg.New(w, h)
	case ".png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))}
	default:
		return fmt.Errorf("--plot %s: the file must end in .svg or .png", path)
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Centimeter, PadTop: vg.Millimeter * 3,
		PadBottom: vg.Millimeter * 3, PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 6}
	canvases := plot.Align([][]*plot.Plot{{cdf, churn}}, tiles, dc)
	cdf.Draw(canvases[0][0])
	churn.Draw(canvases[0][1])
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return f.Close()
}

func cdfPlot(rs []*Result) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Service created → every next hop in the TOR's FIB"
	p.X.Label.Text = "ms (log scale)"
	p.Y.Label.Text = "fraction of Services"
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(plotter.NewGrid())
	for _, r := range rs {
		// A log scale needs a sample; a controller that failed has none.
		if len(r.Latency.FIB.Samples) > 0 {
			p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
			break
		}
	}
	for i, r := range rs {
		s := r.Latency.FIB.Samples
		if len(s) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s))
		for j, d := range s {
			xys[j] = plotter.XY{X: max(ms(d), 0.01), Y: float64(j+1) / float64(len(s))}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = plotutil.Color(i), vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (p50 %.1f ms)", r.Controller, ms(r.Latency.FIB.P50)), l)
		// Each name sits at its own height, so close lines keep theirs.
		q := (float64(i) + 0.5) / float64(len(rs))
		if err := label(p, xys[min(len(xys)-1, int(q*float64(len(xys))))], r.Controller); err != nil {
			return nil, err
		}
	}
	p.Legend.Top, p.Legend.Left = false, false
	return p, nil
}

func churnPlot(rs []*Result) (*plot.Plot, error) {
	sizes := churnSizes(rs)
	p := plot.New()
	p.Add(plotter.NewGrid())
	if len(sizes) == 0 {
		p.Title.Text = "no churn measured"
		return p, nil
	}
	n := sizes[len(sizes)-1]
	p.Title.Text = fmt.Sprintf("churn of %d Services: routes in the FIB (solid), Services created (dashed)", n)
	p.Title.TextStyle.Font.Size = vg.Points(10)
	p.X.Label.Text = "s since the first create"
	p.X.Tick.Marker = plainTicks{}
	p.Y.Label.Text = "Services"
	p.Y.Min = 0
	for i, r := range rs {
		for _, c := range r.Churn {
			if c.Services != n || len(c.Curve) == 0 {
				continue
			}
			routed, created := make(plotter.XYs, len(c.Curve)), make(plotter.XYs, len(c.Curve))
			for j, pt := range c.Curve {
				routed[j] = plotter.XY{X: sec(pt.T), Y: float64(pt.Routed)}
				created[j] = plotter.XY{X: sec(pt.T), Y: float64(pt.Created)}
			}
			lr, err := plotter.NewLine(routed)
			if err != nil {
				return nil, err
			}
			lc, err := plotter.NewLine(created)
			if err != nil {
				return nil, err
			}
			lr.Color, lr.Width = plotutil.Color(i), vg.Points(1.5)
			lc.Color, lc.Width, lc.Dashes = plotutil.Color(i), vg.Points(1), plotutil.Dashes(1)
			p.Add(lr, lc)
			if err := label(p, routed[len(routed)-1], r.Controller); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// label names a line next to one of its points.
func label(p *plot.Plot, at plotter.XY, text string) error {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{at}, Labels: []string{" " + text}})
	if err != nil {
		return err
	}
	p.Add(l)
	return nil
}

// logTicks marks 1, 2 and 5 of every decade, labelled (plot.LogTicks
// labels powers of ten only: one label for a 50–900 ms range).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for d := math.Pow(10, math.Floor(math.Log10(lo))); d <= hi; d *= 10 {
		for m := 1; m < 10; m++ {
			v := d * float64(m)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			out = append(out, t)
		}
	}
	return out
}

// plainTicks are plot.DefaultTicks labelled without trailing zeros.
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', -1, 64)
		}
	}
	return ts
}
