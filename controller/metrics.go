package controller

import (
	"math/big"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the controller's Prometheus metrics, on their own registry.
type metrics struct {
	registry    *prometheus.Registry
	allocations *prometheus.CounterVec   // by pool
	failures    *prometheus.CounterVec   // by reason
	releases    prometheus.Counter       // Services that let go of their addresses
	inUse       *prometheus.GaugeVec     // by pool, family
	available   *prometheus.GaugeVec     // by pool, family
	reconcile   *prometheus.HistogramVec // by kind (service, config)
	services    prometheus.Gauge         // Services holding addresses
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		allocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lblab_controller_allocations_total",
			Help: "Services given new addresses, by pool.",
		}, []string{"pool"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lblab_controller_allocation_failures_total",
			Help: "Failed allocations, by reason (PoolExhausted, IPInUse, NoPool, ...).",
		}, []string{"reason"}),
		releases: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lblab_controller_releases_total",
			Help: "Services that released their addresses (deleted, or no longer LoadBalancer).",
		}),
		inUse: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lblab_controller_pool_addresses_in_use",
			Help: "Addresses in use, by pool and family.",
		}, []string{"pool", "family"}),
		available: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lblab_controller_pool_addresses_available",
			Help: "Free addresses, by pool and family (IPv6 counts are approximate above 2^53).",
		}, []string{"pool", "family"}),
		reconcile: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lblab_controller_reconcile_duration_seconds",
			Help:    "Time to reconcile one Service (allocation and status write) or the configuration.",
			Buckets: []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
		}, []string{"kind"}),
		services: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lblab_controller_services_allocated",
			Help: "Services holding addresses.",
		}),
	}
	m.registry.MustRegister(m.allocations, m.failures, m.releases, m.inUse, m.available, m.reconcile, m.services,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func bigFloat(n *big.Int) float64 {
	f, _ := new(big.Float).SetInt(n).Float64()
	return f
}
