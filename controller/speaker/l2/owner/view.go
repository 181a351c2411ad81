package owner

import (
	"slices"
	"time"
)

// record is what the view keeps of one Lease.
type record struct {
	node  string
	renew time.Time // zero: released or never renewed
	dur   time.Duration
}

// view is the liveness state of a Membership, without the API machinery:
// the Leases seen, when a renewal was last seen, and the live set last
// published. Times passed in are the local clock.
type view struct {
	skew, staleAfter time.Duration

	leases    map[string]record // by Lease name
	lastFresh time.Time         // last time any renewal was seen
	holdUntil time.Time         // no removals before this (after a stale spell)
	live      []string          // last evaluated live set, sorted
}

func newView(cfg Config) *view {
	return &view{skew: cfg.SkewAllowance, staleAfter: cfg.StaleAfter, leases: map[string]record{}}
}

func (v *view) expiry(r record) time.Time { return r.renew.Add(r.dur + v.skew) }

func (v *view) alive(r record, t time.Time) bool {
	return r.node != "" && !r.renew.IsZero() && v.expiry(r).After(t)
}

// stale reports whether no renewal was seen for StaleAfter: the API server
// or this speaker is cut off, and the view stops ageing.
// Before the first renewal there is nothing to keep.
func (v *view) stale(now time.Time) bool {
	return !v.lastFresh.IsZero() && now.Sub(v.lastFresh) > v.staleAfter
}

// set records a Lease. A renewal (renewTime moved forward, and still live)
// counts as fresh; the first after a stale spell holds removals for
// StaleAfter, so the other renewals can arrive before anyone is dropped.
func (v *view) set(name string, r record, now time.Time) {
	old := v.leases[name]
	v.leases[name] = r
	if !r.renew.After(old.renew) || !v.alive(r, now) {
		return
	}
	if v.stale(now) {
		v.holdUntil = now.Add(v.staleAfter)
	}
	v.lastFresh = now
}

func (v *view) remove(name string) { delete(v.leases, name) }

// evaluate computes the live set at now. The view's time is now, or, when
// stale, the moment it went stale. changed says whether the set differs
// from the last one; next is when it must be evaluated again if nothing
// else happens (zero: only on the next event).
func (v *view) evaluate(now time.Time) (live []string, changed bool, next time.Time) {
	t := now
	if v.stale(now) {
		t = v.lastFresh.Add(v.staleAfter)
	}
	for _, r := range v.leases {
		if v.alive(r, t) {
			live = append(live, r.node)
			if !v.stale(now) && (next.IsZero() || v.expiry(r).Before(next)) {
				next = v.expiry(r)
			}
		}
	}
	if now.Before(v.holdUntil) {
		live = append(live, v.live...)
		if next.IsZero() || v.holdUntil.Before(next) {
			next = v.holdUntil
		}
	}
	slices.Sort(live)
	live = slices.Compact(live)
	changed = !slices.Equal(live, v.live)
	v.live = live
	return slices.Clone(live), changed, next
}
