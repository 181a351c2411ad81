package bench

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Result is one controller's figures from one lab.
type Result struct {
	// Controller is what `--controller` named (lblab, metallb, ...).
	Controller string `json:"controller"`
	// Version describes it: "MetalLB v0.15.2 (native BGP)".
	Version string `json:"version"`
	// Speakers are the eligible nodes the TOR must route through.
	Speakers []string `json:"speakers"`
	Latency  Latency  `json:"latency"`
	Churn    []Churn  `json:"churn"`
	// Breakdown says where lblab's create → UPDATE time goes, from the
	// components' own metrics; other controllers export no such metrics.
	Breakdown *Breakdown `json:"breakdown,omitempty"`
	// ExtraNexthops are next hops the TOR got for bench routes that are not
	// eligible nodes (kube-vip announces from the control plane too).
	ExtraNexthops []string `json:"extra_nexthops,omitempty"`
	// Elapsed is how long the controller's turn took, its lab's up
	// included.
	Elapsed Duration `json:"elapsed_ms,omitempty"`
	// Notes are what the reader must know to read the figures.
	Notes []string `json:"notes,omitempty"`
}

// Latency is the one-at-a-time phase: each Service is created, routed,
// then (after all) deleted one at a time, so the figures are not queueing.
type Latency struct {
	Services int `json:"services"`
	// CreateAck is the create request's round trip; Status is create →
	// the bench sees the IP in the Service's status.
	CreateAck Dist `json:"create_ack"`
	Status    Dist `json:"status"`
	// FirstUpdate, AllUpdates: create → the first speaker's UPDATE on the
	// TOR's wire, → one from every eligible speaker. FIB: create → the
	// TOR's kernel route has every eligible node as next hop.
	FirstUpdate Dist `json:"first_update"`
	AllUpdates  Dist `json:"all_updates"`
	FIB         Dist `json:"fib"`
	// Withdrawn: delete → the first withdrawal on the wire; Gone: delete →
	// the TOR's route is gone.
	Withdrawn Dist `json:"withdrawn"`
	Gone      Dist `json:"gone"`
	// Misses count Services without an IP within 10 s, without an
	// UPDATE seen, without a whole route
	// within 5 s, and with a route left 5 s after their delete.
	NoIP       int `json:"no_ip"`
	NoUpdate   int `json:"no_update"`
	NoRoute    int `json:"no_route"`
	StillThere int `json:"still_routed"`
}

// Churn is one size: Services created as fast as the API server takes
// them, routed, measured, then deleted.
type Churn struct {
	Services int `json:"services"`
	// Created is how long the creates took, first to last.
	Created Duration `json:"created_ms"`
	// WithIP is how many got an IP in their status within the wait.
	WithIP int `json:"with_ip"`
	// Routed is how many routes had every next hop within the wait, and
	// LastRoute when the last did, after the last create.
	Routed    int      `json:"routed"`
	LastRoute Duration `json:"last_route_after_last_create_ms"`
	// Deleted, Gone, LastGone: likewise for the Service deletes, once no
	// route is left (AllGone). LastGone is negative when the last route
	// went before the last delete's reply came back.
	Deleted  Duration `json:"deleted_ms"`
	Gone     int      `json:"gone"`
	AllGone  bool     `json:"all_gone"`
	LastGone Duration `json:"last_gone_after_last_delete_ms"`
	// Memory is every process of the controller, with all Services up.
	Memory []Memory `json:"memory"`
	// Curve is the Services created and the routes in the FIB over time,
	// from the first create.
	Curve []Point `json:"curve"`
}

// Point is one sample of a churn: at T after the first create, Created
// Services existed and Routed of them had their whole route in the FIB.
type Point struct {
	T       Duration `json:"t_ms"`
	Created int      `json:"created"`
	Routed  int      `json:"routed"`
}

// Memory is one process's memory in MiB: resident (RSS), its anonymous
// part, the proportional set size (PSS: shared pages, such as a binary's
// text, divided among the processes that map them) and the peak RSS.
type Memory struct {
	Process string  `json:"process"`
	Host    string  `json:"host"`
	PID     int     `json:"pid"`
	RSS     float64 `json:"rss_mib"`
	PSS     float64 `json:"pss_mib"`
	Anon    float64 `json:"anon_mib"`
	Peak    float64 `json:"peak_mib"`
}

// Breakdown is lblab's create → UPDATE time by component: means per
// Service from the API server's, the controller's and the speakers' own
// histograms.
type Breakdown struct {
	APICreate  Duration `json:"api_create_ms"`
	Controller Duration `json:"controller_ms"`
	APIStatus  Duration `json:"api_status_ms"`
	Speaker    Duration `json:"speaker_ms"`
}

// Duration marshals as milliseconds.
type Duration time.Duration

// MarshalJSON writes d in milliseconds, to the microsecond.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(msString(time.Duration(d), 3)), nil
}

// UnmarshalJSON reads milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("duration %s: want milliseconds: %w", b, err)
	}
	*d = Duration(v * float64(time.Millisecond))
	return nil
}

// Dist is a distribution: count and nearest-rank quantiles, with its
// samples sorted (for the CDF).
type Dist struct {
	N       int        `json:"n"`
	Min     Duration   `json:"min_ms"`
	P50     Duration   `json:"p50_ms"`
	P90     Duration   `json:"p90_ms"`
	P99     Duration   `json:"p99_ms"`
	Max     Duration   `json:"max_ms"`
	Samples []Duration `json:"samples_ms,omitempty"`
}

// NewDist sorts ds and takes its quantiles.
func NewDist(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return Duration(s[max(0, min(i, len(s)-1))])
	}
	d := Dist{N: len(s), Min: Duration(s[0]), P50: q(.5), P90: q(.9), P99: q(.99), Max: Duration(s[len(s)-1])}
	for _, v := range s {
		d.Samples = append(d.Samples, Duration(v))
	}
	return d
}
