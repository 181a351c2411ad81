package nodeagent

import (
	"context"
	"time"
)

// probeWorker checks one container's readiness until its context ends.
// Until the first success it polls fast (starting at fast and slowing
// down), so a pod turns Ready within milliseconds of nginx listening;
// afterwards it keeps the probe's period and thresholds.
type probeWorker struct {
	spec   probeSpec
	fast   time.Duration
	ready  bool // the initial value: true for an adopted container that was ready
	report func(ready bool)
}

func (w *probeWorker) run(ctx context.Context, p Prober) {
	if !sleepCtx(ctx, w.spec.InitialDelay) {
		return
	}
	ready := w.ready
	succ, fail, attempts := 0, 0, 0
	everReady := ready
	for {
		err := p.Probe(ctx, w.spec)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			succ, fail = succ+1, 0
			if !ready && succ >= w.spec.Success {
				ready, everReady = true, true
				w.report(true)
			}
		} else {
			succ, fail = 0, fail+1
			if ready && fail >= w.spec.Failure {
				ready = false
				w.report(false)
			}
		}
		interval := w.spec.Period
		if !everReady {
			attempts++
			interval = min(w.spec.Period, w.fast<<min(attempts/40, 6))
		}
		if !sleepCtx(ctx, interval) {
			return
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
