package owner

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"
)

// failoverLab runs real Heartbeats for "a" and "b" and a Membership (as on
// node a) on a fake clientset with the real clock.
type failoverLab struct {
	c     *fake.Clientset
	cfg   Config
	m     *Membership
	lives chan []string
}

func newFailoverLab(tb testing.TB, cfg Config) *failoverLab {
	l := &failoverLab{c: fake.NewClientset(), cfg: cfg.withDefaults(), lives: make(chan []string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	go NewHeartbeat(l.c, "a", cfg).Run(ctx)
	l.m = NewMembership(l.c, cfg, func(live []string) { l.lives <- live })
	go func() { _ = l.m.Run(ctx) }()
	return l
}

// waitFor waits for a notification of want and returns when it came.
func (l *failoverLab) waitFor(tb testing.TB, want ...string) time.Time {
	timeout := time.After(10 * l.cfg.LeaseDuration)
	for {
		select {
		case got := <-l.lives:
			if slices.Equal(got, want) {
				return time.Now()
			}
		case <-timeout:
			tb.Fatalf("live set never became %v (now %v)", want, l.m.Live())
		}
	}
}

// trial starts b's heartbeat, lets it run a while, stops it as a frozen
// speaker stops (no Release, the Lease stays) at a random point of its
// renewal cycle, and returns how long until the Membership drops b, from
// the stop and from b's last renewal. If b flapped while running (a
// renewal late on a busy host), the trial is run again.
func (l *failoverLab) trial(tb testing.TB) (fromStop, fromRenewal time.Duration) {
	for try := 0; ; try++ {
		ctx, stop := context.WithCancel(context.Background())
		hb := NewHeartbeat(l.c, "b", l.cfg)
		done := make(chan struct{})
		go func() { hb.Run(ctx); close(done) }()
		l.waitFor(tb, "a", "b")
		time.Sleep(l.cfg.RenewInterval + rand.N(l.cfg.RenewInterval))
		if l.flapped() && try < 3 {
			tb.Logf("b flapped while renewing (busy host); again")
			stop()
			<-done
			continue
		}
		stop()
		start := time.Now()
		<-done
		dropped := l.waitFor(tb, "a")
		return dropped.Sub(start), dropped.Sub(hb.LastRenewed())
	}
}

// flapped drains the notifications and reports whether one lacked b.
func (l *failoverLab) flapped() bool {
	for {
		select {
		case live := <-l.lives:
			if !slices.Contains(live, "b") {
				return true
			}
		default:
			return false
		}
	}
}

// A stopped speaker is dropped LeaseDuration + SkewAllowance after its last
// renewal (plus the timer's and the scheduler's delay), so between D+S-R
// and D+S after it stops.
func TestFailoverDetection(t *testing.T) {
	cfg := Config{LeaseDuration: 300 * time.Millisecond, RenewInterval: 50 * time.Millisecond,
		SkewAllowance: 20 * time.Millisecond}
	l := newFailoverLab(t, cfg)
	expiry := cfg.LeaseDuration + cfg.SkewAllowance
	for i := range 3 {
		fromStop, fromRenewal := l.trial(t)
		t.Logf("trial %d: stopped speaker dropped %v after the stop, %v after its last renewal (lease %v, renew %v, skew %v)",
			i, fromStop.Round(time.Millisecond), fromRenewal.Round(time.Millisecond),
			cfg.LeaseDuration, cfg.RenewInterval, cfg.SkewAllowance)
		if fromRenewal < expiry || fromRenewal > expiry+500*time.Millisecond { // slack for -race on a busy host
			t.Errorf("trial %d: dropped %v after the last renewal, want %v", i, fromRenewal, expiry)
		}
	}
}

// BenchmarkFailoverDetection measures detection with the default timers
// (each iteration takes about 2.5 s of real time):
//
//	go test -run XXX -bench FailoverDetection -benchtime 10x ./controller/speaker/l2/owner/
func BenchmarkFailoverDetection(b *testing.B) {
	l := newFailoverLab(b, Config{})
	var total, worst time.Duration
	for b.Loop() {
		d, _ := l.trial(b)
		total += d
		worst = max(worst, d)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/detect")
	b.ReportMetric(float64(worst.Milliseconds()), "ms-worst")
}
