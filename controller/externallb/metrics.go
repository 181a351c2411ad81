package externallb

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the controller's Prometheus metrics, on their own registry.
type metrics struct {
	registry  *prometheus.Registry
	syncs     *prometheus.CounterVec // by result
	duration  prometheus.Histogram
	failures  prometheus.Counter
	services  prometheus.Gauge
	frontends prometheus.Gauge
	addresses *prometheus.GaugeVec // by family
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lblab_external_lb_syncs_total",
			Help: "Syncs of the lb host, by result (ok, error).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "lblab_external_lb_sync_duration_seconds",
			Help:    "Time to sync the lb host: allocation, addresses, HAProxy reload, status writes.",
			Buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lblab_external_lb_allocation_failures_total",
			Help: "AllocationFailed events recorded.",
		}),
		services: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lblab_external_lb_services",
			Help: "LoadBalancer Services of the class.",
		}),
		frontends: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lblab_external_lb_frontends",
			Help: "HAProxy frontends (one per LB IP and TCP port).",
		}),
		addresses: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lblab_external_lb_addresses",
			Help: "LB IPs in use, by family.",
		}, []string{"family"}),
	}
	m.registry.MustRegister(m.syncs, m.duration, m.failures, m.services, m.frontends, m.addresses,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(start time.Time, err error) {
	m.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		m.syncs.WithLabelValues("error").Inc()
	} else {
		m.syncs.WithLabelValues("ok").Inc()
	}
}

func (m *metrics) state(services, frontends int, addrs []netip.Addr) {
	m.services.Set(float64(services))
	m.frontends.Set(float64(frontends))
	var v4, v6 int
	for _, a := range addrs {
		if a.Is6() {
			v6++
		} else {
			v4++
		}
	}
	m.addresses.WithLabelValues("ipv4").Set(float64(v4))
	m.addresses.WithLabelValues("ipv6").Set(float64(v6))
}

// serveMetrics serves /metrics and /healthz and returns a stop function.
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("failed to listen on --metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server failed", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}
