package owner

import (
	"log/slog"
	"time"

	"k8s.io/utils/clock"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// Names and labels of the speaker Leases.
const (
	// LeasePrefix starts the name of every speaker Lease:
	// lblab-speaker-<node>.
	LeasePrefix = "lblab-speaker-"
	// LabelComponent and ComponentLease select the speaker Leases
	// (app.kubernetes.io/component=speaker-lease).
	LabelComponent = "app.kubernetes.io/component"
	ComponentLease = "speaker-lease"
	// AnnotationDurationMS holds the exact lease duration in milliseconds;
	// spec.leaseDurationSeconds is whole seconds, rounded up.
	AnnotationDurationMS = "lblab.dev/lease-duration-ms"
)

// Defaults of Config. DefaultLeaseDuration plus DefaultSkewAllowance is the
// worst-case time to notice a stopped speaker: 1.75 s, inside the 2 s
// failover target with room for the new owner's gratuitous ARP/NA.
const (
	DefaultLeaseDuration = 1500 * time.Millisecond
	DefaultSkewAllowance = 250 * time.Millisecond
)

// Config is shared by Heartbeat and Membership; every speaker must use the
// same values. The zero Config is the defaults.
type Config struct {
	// Namespace of the Leases; default lblab-node-lease.
	Namespace string
	// LeaseDuration is how long a renewal keeps a node live; default
	// DefaultLeaseDuration.
	LeaseDuration time.Duration
	// RenewInterval is how often a Heartbeat renews; default a third of
	// LeaseDuration (500 ms), so two renewals may be lost or late.
	RenewInterval time.Duration
	// SkewAllowance extends every lease, for clocks that differ between
	// nodes and for a renewal's trip through the API server; default
	// DefaultSkewAllowance, negative for none.
	SkewAllowance time.Duration
	// StaleAfter is the partition guard: when a Membership has seen no
	// lease renewal at all (not even its own node's) for this long, its view
	// stops ageing and keeps the live set it has. Default LeaseDuration -
	// RenewInterval; it must be longer than RenewInterval (plus the API
	// server's latency) and shorter than LeaseDuration + SkewAllowance -
	// RenewInterval (see the package doc).
	StaleAfter time.Duration
	// Clock is the time source; default the real clock.
	Clock clock.WithTicker
	// Log receives renewal failures and live-set changes; default discard.
	Log *slog.Logger
}

// withDefaults fills in the zero fields.
func (c Config) withDefaults() Config {
	if c.Namespace == "" {
		c.Namespace = v1alpha1.NodeLeaseNamespace
	}
	if c.LeaseDuration <= 0 {
		c.LeaseDuration = DefaultLeaseDuration
	}
	if c.RenewInterval <= 0 {
		c.RenewInterval = c.LeaseDuration / 3
	}
	if c.SkewAllowance < 0 {
		c.SkewAllowance = 0
	} else if c.SkewAllowance == 0 {
		c.SkewAllowance = DefaultSkewAllowance
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = max(c.LeaseDuration-c.RenewInterval, c.RenewInterval+c.RenewInterval/2)
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}
