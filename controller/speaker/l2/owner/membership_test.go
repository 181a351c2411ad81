package owner

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// memberStep advances the fake clock, then writes Leases, then checks the
// notification: want when change is set, else none.
type memberStep struct {
	advance         time.Duration
	renew, released []string
	deleted         []string
	change          bool
	want            []string
	wantStale       bool
}

// Lease 1 s, renew 250 ms, skew 100 ms, so stale after 750 ms: a lease
// renewed at r is live until r+1.1s.
func TestMembership(t *testing.T) {
	const q = 250 * time.Millisecond
	renewA := memberStep{advance: q, renew: []string{"a"}}
	cases := []struct {
		name  string
		steps []memberStep
	}{
		{"a stopped speaker drops when its lease expires, with no event", []memberStep{
			{renew: []string{"a", "b"}, change: true, want: []string{"a", "b"}},
			renewA, renewA, renewA, renewA, // +1 s
			{advance: 99 * time.Millisecond},
			{advance: 2 * time.Millisecond, change: true, want: []string{"a"}},
		}},
		{"release drops at once", []memberStep{
			{renew: []string{"a", "b"}, change: true, want: []string{"a", "b"}},
			{advance: q, released: []string{"b"}, change: true, want: []string{"a"}},
		}},
		{"delete drops at once", []memberStep{
			{renew: []string{"a", "b"}, change: true, want: []string{"a", "b"}},
			{advance: q, deleted: []string{"b"}, change: true, want: []string{"a"}},
		}},
		{"partition keeps the set; after it, a node that stayed dead goes", []memberStep{
			{renew: []string{"a", "b"}, change: true, want: []string{"a", "b"}},
			{advance: q, renew: []string{"a", "b"}},
			{advance: time.Second, wantStale: true},
			{advance: time.Minute, wantStale: true},
			{renew: []string{"a"}}, // back: b is held for 750 ms
			{advance: 500 * time.Millisecond, renew: []string{"a"}},
			{advance: 251 * time.Millisecond, change: true, want: []string{"a"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newMembershipHarness(t, Config{LeaseDuration: time.Second, RenewInterval: q, SkewAllowance: 100 * time.Millisecond})
			for i, s := range tc.steps {
				h.clk.Step(s.advance)
				h.renew(s.renew...)
				for _, n := range s.released {
					if err := NewHeartbeat(h.c, n, Config{}).Release(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				for _, n := range s.deleted {
					if err := h.c.CoordinationV1().Leases(v1alpha1.NodeLeaseNamespace).Delete(context.Background(), LeaseName(n), metav1.DeleteOptions{}); err != nil {
						t.Fatal(err)
					}
				}
				if s.change {
					h.expectAfter(i, s.want...)
				} else {
					h.quiet()
				}
				if st := h.m.Stale(); st != s.wantStale {
					t.Fatalf("step %d: Stale() = %v, want %v", i, st, s.wantStale)
				}
			}
		})
	}
}
