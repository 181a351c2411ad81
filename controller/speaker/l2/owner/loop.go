package owner

import (
	"context"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// loop evaluates the live set on every Lease event and when the earliest
// lease expires: a speaker that stops sends no event, so the timer is what
// drops it.
func (m *Membership) loop(ctx context.Context) {
	var timer clock.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	first := true
	for {
		now := m.cfg.Clock.Now()
		m.mu.Lock()
		live, changed, next := m.v.evaluate(now)
		stale := m.v.stale(now)
		m.mu.Unlock()
		if changed || first {
			m.cfg.Log.Info("speaker live set", "live", live, "stale", stale)
			if m.onChange != nil {
				m.onChange(live)
			}
			first = false
		}
		var fire <-chan time.Time
		if timer != nil {
			timer.Stop()
			timer = nil
		}
		if !next.IsZero() {
			// +1ms: wake just after the expiry, not just before it.
			timer = m.cfg.Clock.NewTimer(next.Sub(now) + time.Millisecond)
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
		case <-fire:
		}
	}
}

// observe records an added or updated Lease and wakes the loop.
func (m *Membership) observe(obj any) {
	l, ok := obj.(*coordinationv1.Lease)
	if !ok || !strings.HasPrefix(l.Name, LeasePrefix) {
		return
	}
	r := record{dur: leaseDuration(l, m.cfg.LeaseDuration)}
	if l.Spec.HolderIdentity != nil {
		r.node = *l.Spec.HolderIdentity
	}
	if l.Spec.RenewTime != nil {
		r.renew = l.Spec.RenewTime.Time
	}
	m.mu.Lock()
	m.v.set(l.Name, r, m.cfg.Clock.Now())
	m.mu.Unlock()
	m.wake()
}

// forget drops a deleted Lease and wakes the loop.
func (m *Membership) forget(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if l, ok := obj.(*coordinationv1.Lease); ok {
		m.mu.Lock()
		m.v.remove(l.Name)
		m.mu.Unlock()
		m.wake()
	}
}

func (m *Membership) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}
