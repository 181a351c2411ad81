package owner

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Heartbeat keeps one node's speaker Lease renewed.
type Heartbeat struct {
	client kubernetes.Interface
	node   string
	cfg    Config

	renewed atomic.Int64 // renewTime of the last successful write, Unix ns

	mu       sync.Mutex            // held across a renewal or the release
	lease    *coordinationv1.Lease // last one written or read
	failing  bool
	released bool
}

// NewHeartbeat returns the Heartbeat of node; Run starts it.
func NewHeartbeat(client kubernetes.Interface, node string, cfg Config) *Heartbeat {
	return &Heartbeat{client: client, node: node, cfg: cfg.withDefaults()}
}

// Run renews the Lease at once and then every RenewInterval until ctx ends.
// It leaves the Lease in place when it returns, as a crashed speaker would;
// call Release for a graceful handover.
func (h *Heartbeat) Run(ctx context.Context) {
	t := h.cfg.Clock.NewTicker(h.cfg.RenewInterval)
	defer t.Stop()
	for ctx.Err() == nil {
		h.renewOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// LastRenewed is the renewTime of the last successful renewal, zero before
// the first.
func (h *Heartbeat) LastRenewed() time.Time {
	if ns := h.renewed.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// renewOnce makes one renewal and logs a change between success and failure.
func (h *Heartbeat) renewOnce(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.LeaseDuration)
	defer cancel()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released {
		return
	}
	err := h.renew(ctx)
	switch {
	case err != nil && ctx.Err() == nil && !h.failing:
		h.cfg.Log.Warn("speaker lease renewal failed", "node", h.node, "err", err)
		h.failing = true
	case err == nil && h.failing:
		h.cfg.Log.Info("speaker lease renewed again", "node", h.node)
		h.failing = false
	}
}

// renew writes the Lease with renewTime now: an update of the cached copy;
// on a conflict or an unknown copy it re-reads, and creates the Lease when
// it does not exist.
func (h *Heartbeat) renew(ctx context.Context) error {
	leases := h.client.CoordinationV1().Leases(h.cfg.Namespace)
	for attempt := 0; attempt < 3; attempt++ {
		if h.lease == nil {
			cur, err := leases.Get(ctx, LeaseName(h.node), metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				created, err := leases.Create(ctx, h.desired(nil), metav1.CreateOptions{})
				if apierrors.IsAlreadyExists(err) {
					continue
				}
				if err != nil {
					return fmt.Errorf("create lease: %w", err)
				}
				h.wrote(created)
				return nil
			case err != nil:
				return fmt.Errorf("get lease: %w", err)
			}
			h.lease = cur
		}
		updated, err := leases.Update(ctx, h.desired(h.lease), metav1.UpdateOptions{})
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			h.lease = nil
			continue
		}
		if err != nil {
			h.lease = nil
			return fmt.Errorf("update lease: %w", err)
		}
		h.wrote(updated)
		return nil
	}
	return fmt.Errorf("lease %s/%s kept changing under the renewal", h.cfg.Namespace, LeaseName(h.node))
}

func (h *Heartbeat) wrote(l *coordinationv1.Lease) {
	h.lease = l
	if l.Spec.RenewTime != nil {
		h.renewed.Store(l.Spec.RenewTime.UnixNano())
	}
}
