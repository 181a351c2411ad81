package bench

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"time"

	"github.com/lblab/lblab/internal/promtext"
)

// The breakdown says where the time from Service create to UPDATE goes,
// from the components' own histograms: the API server's request
// durations, the lblab controller's reconcile time (which includes its
// status write) and the speakers' informer-event-to-GoBGP time. It reads
// them before and after the announce phase and prints the differences.

type histogram = promtext.Histogram

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
	families, err := promtext.Parse(text)
	if err != nil {
		return s, err
	}
	absent := func(err error) bool { return !after && errors.Is(err, promtext.ErrNoMetric) }
	if s.create, err = families.Sum(promtext.APIServiceCreate); err != nil && !absent(err) {
		return s, err
	}
	if s.status, err = families.Sum(promtext.APIServiceStatus); err != nil && !absent(err) {
		return s, err
	}
	if s.ctrl, err = scrape(ctx, b.cpAddr, 7472, promtext.ControllerService); err != nil && !absent(err) {
		return s, fmt.Errorf("controller: %w", err)
	}
	for _, n := range b.nodes {
		h, err := scrape(ctx, n.ip, 7473, promtext.SpeakerService)
		if err != nil && !absent(err) {
			return s, fmt.Errorf("speaker %s: %w", n.name, err)
		}
		s.speakers.Sum += h.Sum
		s.speakers.Count += h.Count
		s.nSpeakers++
	}
	return s, nil
}

func scrape(ctx context.Context, addr netip.Addr, port uint16, s promtext.Series) (histogram, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u := url.URL{Scheme: "http", Host: netip.AddrPortFrom(addr, port).String(), Path: "/metrics"}
	return promtext.Scrape(ctx, u.String(), s)
}

// newBreakdown takes the means per Service created between two
// snapshots. The controller reconciles a Service twice (its create, then
// its own status write), so its time is per Service, not per reconcile.
func newBreakdown(before, after snapshot, services int) *Breakdown {
	per := func(h histogram, n int) Duration {
		if n == 0 {
			return 0
		}
		return Duration(h.Sum / float64(n) * float64(time.Second))
	}
	create, status := after.create.Minus(before.create), after.status.Minus(before.status)
	return &Breakdown{
		APICreate:  per(create, int(create.Count)),
		Controller: per(after.ctrl.Minus(before.ctrl), services),
		APIStatus:  per(status, int(status.Count)),
		Speaker:    per(after.speakers.Minus(before.speakers), services*after.nSpeakers),
	}
}
