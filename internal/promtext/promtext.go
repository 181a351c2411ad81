package promtext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Histogram is the sum and count of histogram series.
type Histogram struct {
	Sum   float64
	Count uint64
}

// Minus is h less o, e.g. a later reading less an earlier one.
func (h Histogram) Minus(o Histogram) Histogram {
	return Histogram{h.Sum - o.Sum, h.Count - o.Count}
}

// Series names histogram series: the metric and labels each must have
// (others may be there too).
type Series struct {
	Metric string
	Labels map[string]string
}

// ErrNoMetric: the exposition has no such metric. A histogram with labels
// appears only once something was observed.
var ErrNoMetric = errors.New("no such metric")

// Families is a parsed exposition, to read several series from.
type Families map[string]*dto.MetricFamily

// Parse parses a text exposition.
func Parse(text []byte) (Families, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	f, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("failed to parse metrics: %w", err)
	}
	return f, nil
}

// Sum adds up the histograms of every series s matches.
func (f Families) Sum(s Series) (Histogram, error) {
	var h Histogram
	fam, ok := f[s.Metric]
	if !ok {
		return h, fmt.Errorf("%w: %s", ErrNoMetric, s.Metric)
	}
	for _, m := range fam.GetMetric() {
		if matches(m, s.Labels) && m.GetHistogram() != nil {
			h.Sum += m.GetHistogram().GetSampleSum()
			h.Count += m.GetHistogram().GetSampleCount()
		}
	}
	return h, nil
}

func matches(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// Find sums the series s in a text exposition.
func Find(text []byte, s Series) (Histogram, error) {
	f, err := Parse(text)
	if err != nil {
		return Histogram{}, err
	}
	return f.Sum(s)
}

// Scrape reads url's exposition and sums the series s in it.
func Scrape(ctx context.Context, url string, s Series) (Histogram, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Histogram{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Histogram{}, fmt.Errorf("failed to read %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Histogram{}, fmt.Errorf("failed to read %s: %s", url, resp.Status)
	}
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		return Histogram{}, fmt.Errorf("failed to read %s: %w", url, err)
	}
	return Find(text, s)
}
