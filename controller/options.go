package controller

import "time"

// Options configure the controller.
type Options struct {
	// HandleClassless makes the controller handle LoadBalancer Services
	// without spec.loadBalancerClass (default true).
	HandleClassless bool
	// Workers is how many Services are reconciled in parallel.
	Workers int
	// MetricsAddr is where /metrics and /healthz are served ("" for none).
	MetricsAddr string
	// LeaderElect turns leader election on (a Lease in lblab-system).
	LeaderElect bool
	// LeaseName and Identity name the Lease and this instance.
	LeaseName string
	Identity  string
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// PoolStatusInterval is the most often pool status counts are written.
	PoolStatusInterval time.Duration
}

// DefaultOptions returns the defaults of `lblab controller`.
func DefaultOptions() Options {
	return Options{
		HandleClassless:    true,
		Workers:            4,
		MetricsAddr:        ":7472",
		LeaderElect:        true,
		LeaseName:          "lblab-controller",
		LeaseDuration:      15 * time.Second,
		RenewDeadline:      10 * time.Second,
		RetryPeriod:        2 * time.Second,
		PoolStatusInterval: 500 * time.Millisecond,
	}
}
