package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The breakdown says where the time from Service create to UPDATE goes,
// from the components' own histograms: the API server's request
// durations, the lblab controller's reconcile time (which includes its
// status write) and the speakers' informer-event-to-GoBGP time. It reads
// them before and after the announce phase and prints the differences.

// histogram is the sum and count of one histogram series.
type histogram struct {
	sum   float64
	count uint64
}

func (h histogram) minus(o histogram) histogram {
	return histogram{h.sum - o.sum, h.count - o.count}
}

// series names a histogram series: the metric and the labels it must have.
type series struct {
	metric string
	labels map[string]string
}

var (
	apiCreate = series{"apiserver_request_duration_seconds", map[string]string{
		"verb": "POST", "resource": "services", "subresource": ""}}
	apiStatus = series{"apiserver_request_duration_seconds", map[string]string{
		"verb": "PATCH", "resource": "services", "subresource": "status"}}
	ctrlService    = series{"lblab_controller_reconcile_duration_seconds", map[string]string{"kind": "service"}}
	speakerService = series{"lblab_speaker_reconcile_duration_seconds", map[string]string{"event": "service"}}
)

// errNoMetric: the exposition has no such metric. A histogram with labels
// appears only once something was observed.
var errNoMetric = errors.New("no such metric")

// find sums the series in a Prometheus text exposition.
func find(text []byte, s series) (histogram, error) {
	families, err := parse(text)
	if err != nil {
		return histogram{}, err
	}
	return sum(families, s)
}

// parse reads a Prometheus text exposition once, for several sums.
func parse(text []byte) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(bytes.NewReader(text))
}

// sum adds up the series of parsed metric families.
func sum(families map[string]*dto.MetricFamily, s series) (histogram, error) {
	var h histogram
	f, ok := families[s.metric]
	if !ok {
		return h, fmt.Errorf("%w: %s", errNoMetric, s.metric)
	}
	for _, m := range f.GetMetric() {
		if matches(m, s.labels) && m.GetHistogram() != nil {
			h.sum += m.GetHistogram().GetSampleSum()
			h.count += m.GetHistogram().GetSampleCount()
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

// snapshot is the histograms the breakdown reads, at one moment.
type snapshot struct {
	create, status, ctrl, speakers histogram
	nSpeakers                      int
}

// takeSnapshot reads the API server's metrics through the bench's client,
// the controller's on the control plane's :7472 and each speaker's on its
// node's :7473. Before the phase a metric may not exist yet (a fresh lab
// has reconciled no Service); after it, every one must.
func (b *bench) takeSnapshot(ctx context.Context, after bool) (snapshot, error) {
	var s snapshot
	text, err := b.kube.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return s, fmt.Errorf("failed to read the API server's metrics: %w", err)
	}
	// The API server's exposition is tens of thousands of lines: parse
	// it once for both series.
	families, err := parse(text)
	if err != nil {
		return s, err
	}
	absent := func(err error) bool { return !after && errors.Is(err, errNoMetric) }
	if s.create, err = sum(families, apiCreate); err != nil && !absent(err) {
		return s, err
	}
	if s.status, err = sum(families, apiStatus); err != nil && !absent(err) {
		return s, err
	}
	if s.ctrl, err = scrape(ctx, b.controlPlane, 7472, ctrlService); err != nil && !absent(err) {
		return s, fmt.Errorf("controller: %w", err)
	}
	for _, n := range b.nodes {
		h, err := scrape(ctx, n.ip, 7473, speakerService)
		if err != nil && !absent(err) {
			return s, fmt.Errorf("speaker %s: %w", n.name, err)
		}
		s.speakers.sum += h.sum
		s.speakers.count += h.count
		s.nSpeakers++
	}
	return s, nil
}

func scrape(ctx context.Context, addr netip.Addr, port uint16, s series) (histogram, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u := url.URL{Scheme: "http", Host: netip.AddrPortFrom(addr, port).String(), Path: "/metrics"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return histogram{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return histogram{}, err
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		return histogram{}, err
	}
	return find(text, s)
}

// printBreakdown prints the means per Service created between two
// snapshots. The controller reconciles a Service twice (its create, then
// its own status write), so its time is per Service, not per reconcile.
func printBreakdown(before, after snapshot, services int) {
	per := func(h histogram, n int) string { return ms(time.Duration(h.sum / float64(n) * float64(time.Second))) }
	mean := func(h histogram) string {
		if h.count == 0 {
			return "-"
		}
		return per(h, int(h.count))
	}
	create, status := after.create.minus(before.create), after.status.minus(before.status)
	ctrl, spk := after.ctrl.minus(before.ctrl), after.speakers.minus(before.speakers)
	fmt.Printf("where the time goes (means, from each component's own metrics):\n")
	fmt.Printf("  API server handles the Service create                    %7s  (%d requests)\n", mean(create), create.count)
	fmt.Printf("  lblab controller per Service, its status write included  %7s\n", per(ctrl, services))
	fmt.Printf("    of which the API server handles the status write       %7s  (%d requests)\n", mean(status), status.count)
	if after.nSpeakers > 0 {
		fmt.Printf("  lblab speaker per Service: informer event → GoBGP        %7s  (mean of %d speakers)\n",
			per(spk, services*after.nSpeakers), after.nSpeakers)
	}
}
