package speaker

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lblab/lblab/controller/speaker/bgp"
)

// Metrics are the speaker's Prometheus metrics. Session metrics are read
// from GoBGP when scraped, so they are never stale.
type Metrics struct {
	reg         *prometheus.Registry
	prefixes    prometheus.Gauge
	changes     *prometheus.CounterVec
	reconcile   *prometheus.HistogramVec
	transitions *prometheus.CounterVec

	mu       sync.Mutex
	sessions func(context.Context) ([]bgp.SessionState, error)
}

// NewMetrics registers the speaker's metrics, plus Go and process metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		prefixes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lblab_speaker_prefixes_desired",
			Help: "Host routes this node should announce.",
		}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lblab_speaker_prefix_changes_total",
			Help: "Prefixes handed to the BGP layer, by operation (announce, withdraw).",
		}, []string{"op"}),
		reconcile: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lblab_speaker_reconcile_duration_seconds",
			Help:    "Time from an informer event to the BGP layer having the change, by event kind.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"event"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lblab_speaker_bgp_session_transitions_total",
			Help: "BGP session state changes, by peer and new state.",
		}, []string{"peer", "state"}),
	}
	m.reg.MustRegister(m.prefixes, m.changes, m.reconcile, m.transitions, sessionCollector{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry is where the metrics live.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) setSessions(f func(context.Context) ([]bgp.SessionState, error)) {
	m.mu.Lock()
	m.sessions = f
	m.mu.Unlock()
}

func (m *Metrics) session(st bgp.SessionState) {
	m.transitions.WithLabelValues(st.Peer, st.State).Inc()
}

func (m *Metrics) applied(event string, announced, withdrawn, desired int, took time.Duration) {
	m.changes.WithLabelValues("announce").Add(float64(announced))
	m.changes.WithLabelValues("withdraw").Add(float64(withdrawn))
	m.prefixes.Set(float64(desired))
	m.reconcile.WithLabelValues(event).Observe(took.Seconds())
}

var (
	sessionUpDesc = prometheus.NewDesc("lblab_speaker_bgp_session_up",
		"1 when the BGP session is Established.", []string{"peer", "address"}, nil)
	sessionSinceDesc = prometheus.NewDesc("lblab_speaker_bgp_session_state_since_seconds",
		"Unix time the session entered its current state.", []string{"peer", "address", "state"}, nil)
	advertisedDesc = prometheus.NewDesc("lblab_speaker_bgp_prefixes_advertised",
		"Prefixes GoBGP has sent on the session.", []string{"peer", "address"}, nil)
	updatesDesc = prometheus.NewDesc("lblab_speaker_bgp_updates_sent_total",
		"BGP UPDATE messages sent on the session.", []string{"peer", "address"}, nil)
)

// sessionCollector reads GoBGP's sessions at scrape time.
type sessionCollector struct{ m *Metrics }

func (c sessionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- sessionUpDesc
	ch <- sessionSinceDesc
	ch <- advertisedDesc
	ch <- updatesDesc
}

func (c sessionCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	f := c.m.sessions
	c.m.mu.Unlock()
	if f == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	sessions, err := f(ctx)
	if err != nil {
		return
	}
	for _, s := range sessions {
		addr := s.Address.String()
		up := 0.0
		if s.State == bgp.Established {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(sessionUpDesc, prometheus.GaugeValue, up, s.Peer, addr)
		if !s.Since.IsZero() {
			ch <- prometheus.MustNewConstMetric(sessionSinceDesc, prometheus.GaugeValue, float64(s.Since.Unix()), s.Peer, addr, s.State)
		}
		ch <- prometheus.MustNewConstMetric(advertisedDesc, prometheus.GaugeValue, float64(s.Advertised), s.Peer, addr)
		ch <- prometheus.MustNewConstMetric(updatesDesc, prometheus.CounterValue, float64(s.UpdatesSent), s.Peer, addr)
	}
}
