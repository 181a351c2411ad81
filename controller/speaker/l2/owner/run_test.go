package owner

import (
	"context"
	"slices"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"
	clocktesting "k8s.io/utils/clock/testing"
)

// eventually polls cond (real time) for up to 2 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Run renews on every tick, leaves the Lease when stopped, and Release
// clears renewTime and stops later renewals.
func TestHeartbeatRunAndRelease(t *testing.T) {
	c := fake.NewClientset()
	clk := clocktesting.NewFakeClock(t0)
	h := NewHeartbeat(c, "n1", Config{Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	eventually(t, "first renewal", func() bool { return h.LastRenewed().Equal(t0) })
	for i := 1; i <= 3; i++ {
		eventually(t, "ticker armed", clk.HasWaiters)
		clk.Step(500 * time.Millisecond)
		want := t0.Add(time.Duration(i) * 500 * time.Millisecond)
		eventually(t, "renewal "+want.String(), func() bool { return h.LastRenewed().Equal(want) })
	}
	cancel()
	<-done
	if l := getLease(t, c, "n1"); l.Spec.RenewTime == nil {
		t.Fatal("Run cleared the lease on exit; only Release may")
	}
	if err := h.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.renewOnce(context.Background())
	if l := getLease(t, c, "n1"); l.Spec.RenewTime != nil {
		t.Fatalf("renewTime %v after Release, want none", l.Spec.RenewTime)
	}
}

// membershipHarness runs a Membership on a fake clientset and a fake clock;
// leases are written directly, as renewals at the fake clock's time.
type membershipHarness struct {
	t       *testing.T
	c       *fake.Clientset
	clk     *clocktesting.FakeClock
	m       *Membership
	changes chan []string
}

func newMembershipHarness(t *testing.T, cfg Config) *membershipHarness {
	h := &membershipHarness{t: t, c: fake.NewClientset(), clk: clocktesting.NewFakeClock(t0),
		changes: make(chan []string, 100)}
	cfg.Clock = h.clk
	h.m = NewMembership(h.c, cfg, func(live []string) { h.changes <- live })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	eventually(t, "sync", h.m.HasSynced)
	h.expect() // the initial, empty set
	return h
}

// renew writes the nodes' Leases as renewed now and waits until seen.
func (h *membershipHarness) renew(nodes ...string) {
	for _, n := range nodes {
		NewHeartbeat(h.c, n, Config{Clock: h.clk, LeaseDuration: time.Second}).renewOnce(context.Background())
		eventually(h.t, n+" renewal seen", func() bool {
			h.m.mu.Lock()
			defer h.m.mu.Unlock()
			return h.m.v.leases[LeaseName(n)].renew.Equal(h.clk.Now())
		})
	}
}

// expect waits for the next change notification and checks it, and that
// Live agrees.
func (h *membershipHarness) expect(want ...string) {
	h.t.Helper()
	h.expectAfter(-1, want...)
}

func (h *membershipHarness) expectAfter(step int, want ...string) {
	h.t.Helper()
	// Leases written in one step may be seen one at a time: skip the
	// notifications in between.
	var got []string
	timeout := time.After(2 * time.Second)
	for {
		select {
		case got = <-h.changes:
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				continue
			}
			if live := h.m.Live(); !slices.Equal(live, got) {
				h.t.Fatalf("step %d: Live() = %v, notified %v", step, live, got)
			}
			return
		case <-timeout:
			h.t.Fatalf("step %d at +%v: live %v, want %v", step, h.clk.Since(t0), got, want)
		}
	}
}

// quiet checks that no change is notified (within 30 ms of real time).
func (h *membershipHarness) quiet() {
	h.t.Helper()
	select {
	case got := <-h.changes:
		h.t.Fatalf("at +%v: unexpected change to %v", h.clk.Since(t0), got)
	case <-time.After(30 * time.Millisecond):
	}
}
