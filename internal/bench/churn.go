package bench

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// churn creates n Services as fast as the API server takes them, waits
// for every route, reads the controller's memory, and deletes them.
func (b *bench) churn(ctx context.Context, n int) (Churn, error) {
	c := Churn{Services: n}
	b.wire.reset()
	b.fib.reset()
	phase := 1 + n/1000
	names := make([]string, n)
	prefixes := make([]netip.Prefix, n)
	for i := range n {
		names[i] = fmt.Sprintf("bench-c%d-%d", n, i)
		if b.t.self {
			prefixes[i] = host(ipFor(phase, i))
		}
		// Else the controller's IP, once the status has one; until then
		// the zero prefix, which no route matches.
	}
	b.progress("churn %d: creating with %d clients", n, b.o.Parallel)
	var created atomic.Int64
	start := time.Now()
	stop := b.sample(start, &created, &c.Curve)
	last, err := parallel(n, b.o.Parallel, &created, func(i int) error {
		svc, err := createService(ctx, b.kube, names[i], b.t, b.nodes)
		if err != nil || !b.t.self {
			return err
		}
		return setIP(ctx, b.kube, svc, prefixes[i].Addr())
	})
	if err != nil {
		stop()
		return c, err
	}
	c.Created = Duration(last.Sub(start))
	c.WithIP = n
	if !b.t.self {
		// A controller too slow for the wait is measured on what it did:
		// the Services without an IP keep the zero prefix.
		b.waitProgress(ctx, fmt.Sprintf("churn %d: IPs in the status", n), b.o.ChurnWait, func() (int, bool) {
			c.WithIP = 0
			for i := range n {
				if st, ok := b.statusOf(names[i]); ok {
					prefixes[i] = host(st.ip)
					c.WithIP++
				}
			}
			return c.WithIP, c.WithIP == n
		})
	}
	var lastRoute time.Time
	b.waitProgress(ctx, fmt.Sprintf("churn %d: routes in the TOR's FIB", n), b.o.ChurnWait, func() (int, bool) {
		c.Routed, _, lastRoute, _ = b.fib.counts(prefixes)
		return c.Routed, c.Routed >= c.WithIP
	})
	stop()
	if err := ctx.Err(); err != nil {
		return c, err
	}
	if c.Routed == n {
		c.LastRoute = Duration(lastRoute.Sub(last))
	}
	time.Sleep(time.Second) // status writes and GC settle
	c.Memory = b.memory()
	if b.o.Hold > 0 {
		b.progress("churn %d: holding the Services for %s", n, b.o.Hold)
		time.Sleep(b.o.Hold)
	}
	b.progress("churn %d: deleting", n)
	startDel := time.Now()
	// The clock stops at the last Service delete; the EndpointSlices go
	// after the routes.
	lastDel, err := parallel(n, b.o.Parallel, nil, func(i int) error { return deleteServiceOnly(ctx, b.kube, names[i]) })
	if err != nil {
		return c, err
	}
	c.Deleted = Duration(lastDel.Sub(startDel))
	var lastGone time.Time
	left := 0
	b.waitProgress(ctx, fmt.Sprintf("churn %d: routes left in the FIB", n), b.o.ChurnWait, func() (int, bool) {
		_, c.Gone, _, lastGone = b.fib.counts(prefixes)
		left = b.fib.present(prefixes)
		return left, left == 0
	})
	if left == 0 && c.Gone > 0 {
		c.AllGone, c.LastGone = true, Duration(lastGone.Sub(lastDel))
	}
	_, err = parallel(n, b.o.Parallel, nil, func(i int) error { return deleteEndpoints(ctx, b.kube, names[i]) })
	return c, err
}

// waitProgress polls cond until it holds, d passes, or its count has not
// moved for ChurnStall, printing the count every 5 s; it reports whether
// cond held.
func (b *bench) waitProgress(ctx context.Context, what string, d time.Duration, cond func() (int, bool)) bool {
	deadline, next := time.Now().Add(d), time.Now().Add(5*time.Second)
	last, moved := -1, time.Now()
	for {
		k, ok := cond()
		if ok {
			return true
		}
		if k != last {
			last, moved = k, time.Now()
		}
		if time.Now().After(deadline) {
			b.progress("%s: %d after %s, giving up", what, k, d)
			return false
		}
		if stall := b.o.ChurnStall; stall > 0 && time.Since(moved) > stall {
			b.progress("%s: %d, unchanged for %s, giving up", what, k, stall)
			return false
		}
		if ctx.Err() != nil {
			return false
		}
		if time.Now().After(next) {
			b.progress("%s: %d so far", what, k)
			next = time.Now().Add(5 * time.Second)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sample records the Services created and the whole routes in the FIB
// every 50 ms into curve, until the returned stop is called.
func (b *bench) sample(start time.Time, created *atomic.Int64, curve *[]Point) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			pt := Point{T: Duration(time.Since(start)), Created: int(created.Load()), Routed: b.fib.completeCount()}
			select {
			case <-done:
				*curve = append(*curve, pt)
				return
			default:
			}
			// Only changes: a flat stretch is its first and last point.
			if n := len(*curve); n >= 2 && samePoint((*curve)[n-1], pt) && samePoint((*curve)[n-2], pt) {
				(*curve)[n-1] = pt
			} else {
				*curve = append(*curve, pt)
			}
			select {
			case <-done:
				*curve = append(*curve, Point{T: Duration(time.Since(start)), Created: int(created.Load()), Routed: b.fib.completeCount()})
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func samePoint(a, b Point) bool { return a.Created == b.Created && a.Routed == b.Routed }
