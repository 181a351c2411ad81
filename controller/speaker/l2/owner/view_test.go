package owner

import (
	"slices"
	"testing"
	"time"
)

// viewStep happens at `at` after t0: the listed leases are renewed (renewTime
// at; for old, 5 s before), released or deleted, then, if the step checks
// anything, the view is evaluated at `at`.
type viewStep struct {
	at         time.Duration
	renew, old []string
	released   []string
	deleted    []string
	want       []string
	wantStale  bool
	wantNext   time.Duration // 0: not checked; -1: no timer
}

// Lease 1 s, skew 100 ms, stale after 600 ms: a lease renewed at r is live
// until r+1.1s.
func TestViewLiveness(t *testing.T) {
	ab := []string{"a", "b"}
	every250 := func(from, to time.Duration, nodes ...string) []viewStep {
		var s []viewStep
		for at := from; at <= to; at += 250 * time.Millisecond {
			s = append(s, viewStep{at: at, renew: nodes})
		}
		return s
	}
	cases := []struct {
		name  string
		steps []viewStep
	}{
		{"expires after duration plus skew", append(append(
			[]viewStep{{renew: ab, want: ab, wantNext: 1100 * time.Millisecond}},
			every250(250*time.Millisecond, time.Second, "a")...),
			viewStep{at: 1099 * time.Millisecond, want: ab},
			viewStep{at: 1101 * time.Millisecond, want: []string{"a"}, wantNext: 2100 * time.Millisecond})},
		{"release drops at once", []viewStep{
			{renew: ab, want: ab},
			{at: 100 * time.Millisecond, released: []string{"b"}, want: []string{"a"}}}},
		{"delete drops at once", []viewStep{
			{renew: ab, want: ab},
			{at: 100 * time.Millisecond, deleted: []string{"b"}, want: []string{"a"}}}},
		{"old lease at start is dead", []viewStep{
			{old: []string{"b"}, renew: []string{"a"}, want: []string{"a"}}}},
		{"no renewals at all keeps the set", []viewStep{
			{renew: ab, want: ab},
			{at: 250 * time.Millisecond, renew: []string{"a"}, want: ab},
			{at: 5 * time.Second, want: ab, wantStale: true, wantNext: -1},
			{at: time.Hour, want: ab, wantStale: true}}},
		{"expiry before going stale still counts, even evaluated late", append(append(
			[]viewStep{{renew: ab, want: ab}},
			every250(250*time.Millisecond, 1250*time.Millisecond, "a")...),
			viewStep{at: 3 * time.Second, want: []string{"a"}, wantStale: true})},
		{"first renewal after a stale spell holds removals", []viewStep{
			{renew: ab, want: ab},
			{at: 5 * time.Second, renew: []string{"a"}, want: ab, wantNext: 5600 * time.Millisecond},
			{at: 5200 * time.Millisecond, renew: []string{"b"}, want: ab},
			{at: 5599 * time.Millisecond, renew: []string{"a"}, want: ab},
			{at: 5700 * time.Millisecond, want: ab}}},
		{"a node that stayed dead goes when the hold ends", []viewStep{
			{renew: ab, want: ab},
			{at: 5 * time.Second, renew: []string{"a"}, want: ab},
			{at: 5250 * time.Millisecond, renew: []string{"a"}, want: ab},
			{at: 5500 * time.Millisecond, renew: []string{"a"}, want: ab},
			{at: 5601 * time.Millisecond, want: []string{"a"}}}},
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newView(Config{LeaseDuration: time.Second, SkewAllowance: 100 * time.Millisecond,
				StaleAfter: 600 * time.Millisecond}.withDefaults())
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				for _, n := range s.renew {
					v.set(LeaseName(n), record{node: n, renew: now, dur: time.Second}, now)
				}
				for _, n := range s.old {
					v.set(LeaseName(n), record{node: n, renew: now.Add(-5 * time.Second), dur: time.Second}, now)
				}
				for _, n := range s.released {
					v.set(LeaseName(n), record{node: n, dur: time.Second}, now)
				}
				for _, n := range s.deleted {
					v.remove(LeaseName(n))
				}
				if s.want == nil && s.wantNext == 0 {
					continue
				}
				live, _, next := v.evaluate(now)
				if s.want != nil && !slices.Equal(live, s.want) {
					t.Fatalf("step %d (%v): live %v, want %v", i, s.at, live, s.want)
				}
				if st := v.stale(now); s.want != nil && st != s.wantStale {
					t.Fatalf("step %d (%v): stale %v, want %v", i, s.at, st, s.wantStale)
				}
				switch {
				case s.wantNext == -1 && !next.IsZero():
					t.Fatalf("step %d (%v): timer at %v, want none", i, s.at, next.Sub(t0))
				case s.wantNext > 0 && !next.Equal(t0.Add(s.wantNext)):
					t.Fatalf("step %d (%v): timer at %v, want %v", i, s.at, next.Sub(t0), s.wantNext)
				}
			}
		})
	}
}

// A relist delivers unchanged Leases again: not a renewal, so it does not
// end a stale spell; a second lease with the same holder counts once.
func TestViewRecords(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := newView(Config{LeaseDuration: time.Second, StaleAfter: 600 * time.Millisecond}.withDefaults())
	r := record{node: "a", renew: t0, dur: time.Second}
	v.set("lblab-speaker-a", r, t0)
	v.set("lblab-speaker-a-copy", r, t0)
	v.set("lblab-speaker-x", record{renew: t0, dur: time.Second}, t0) // no holder
	if live, _, _ := v.evaluate(t0); !slices.Equal(live, []string{"a"}) {
		t.Fatalf("live %v, want [a]", live)
	}
	later := t0.Add(time.Second)
	v.set("lblab-speaker-a", r, later)
	if !v.stale(later) {
		t.Fatal("an unchanged lease ended the stale spell")
	}
}
