package bench

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// latency creates Services one at a time, then deletes them one at a
// time, and records the distributions.
func (b *bench) latency(ctx context.Context, res *Result) error {
	n := b.o.Latency
	if n == 0 {
		return nil
	}
	b.wire.reset()
	b.fib.reset()
	var (
		ack, status, first, all, fib []time.Duration
		ips                          = make([]netip.Addr, n)
		names                        = make([]string, n)
		l                            = &res.Latency
	)
	l.Services = n
	// With lblab's controller, also say where the time goes.
	var before snapshot
	breakdown := b.o.Controller == "lblab"
	if breakdown {
		var err error
		if before, err = b.takeSnapshot(ctx, false); err != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("no breakdown: %v", err))
			breakdown = false
		}
	}
	b.progress("latency: creating %d Services one at a time", n)
	missed := 0
	lastProgress := time.Now()
	for i := range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Since(lastProgress) > 5*time.Second {
			b.progress("latency: %d of %d created", i, n)
			lastProgress = time.Now()
		}
		names[i] = fmt.Sprintf("bench-lat-%d", i)
		t0, err := b.createOne(ctx, names[i], i, &ack, &status, &ips[i])
		if errors.Is(err, errNoIP) {
			// Measured as it is: counted, and after a few in a row the
			// phase stops rather than wait 10 s a Service.
			l.NoIP++
			if missed++; missed == maxMissed {
				res.Notes = append(res.Notes, fmt.Sprintf("the latency phase stopped after %d Services in a row got no IP within 10 s (%d created)", maxMissed, i+1))
				n = i + 1
				break
			}
			continue
		}
		if err != nil {
			return err
		}
		missed = 0
		p := host(ips[i])
		if !waitFor(ctx, 5*time.Second, func() bool { _, ok := b.fib.completeAt(p); return ok }) {
			l.NoRoute++
		}
		time.Sleep(20 * time.Millisecond) // the last speakers' UPDATEs reach tcpdump's output
		if t, ok := b.fib.completeAt(p); ok {
			fib = append(fib, t.Sub(t0))
		}
		f, last, k := b.wire.first(p, false)
		if k == 0 {
			l.NoUpdate++
			continue
		}
		first = append(first, f.Sub(t0))
		if k >= len(b.nodes) {
			all = append(all, last.Sub(t0))
		}
	}
	l.CreateAck, l.Status, l.FirstUpdate, l.AllUpdates, l.FIB = NewDist(ack), NewDist(status), NewDist(first), NewDist(all), NewDist(fib)
	if breakdown {
		if after, err := b.takeSnapshot(ctx, true); err == nil {
			res.Breakdown = newBreakdown(before, after, n)
		} else {
			res.Notes = append(res.Notes, fmt.Sprintf("no breakdown: %v", err))
		}
	}

	b.progress("latency: deleting them one at a time")
	var withdrawn, gone []time.Duration
	lastProgress = time.Now()
	for i := range n {
		if time.Since(lastProgress) > 5*time.Second {
			b.progress("latency: %d of %d deleted, %d still routed 5 s after their delete", i, n, l.StillThere)
			lastProgress = time.Now()
		}
		if !ips[i].IsValid() {
			if err := deleteService(ctx, b.kube, names[i]); err != nil {
				return err
			}
			continue
		}
		p := host(ips[i])
		t0 := time.Now()
		if err := deleteService(ctx, b.kube, names[i]); err != nil {
			return err
		}
		if !waitFor(ctx, 5*time.Second, func() bool { _, ok := b.fib.goneAt(p); return ok }) {
			l.StillThere++
		}
		time.Sleep(20 * time.Millisecond)
		if t, ok := b.fib.goneAt(p); ok {
			gone = append(gone, t.Sub(t0))
		}
		if f, _, k := b.wire.first(p, true); k > 0 {
			withdrawn = append(withdrawn, f.Sub(t0))
		}
	}
	l.Withdrawn, l.Gone = NewDist(withdrawn), NewDist(gone)
	return nil
}

// errNoIP: a Service got no IP within the latency phase's wait.
var errNoIP = errors.New("no IP")

// maxMissed Services in a row without an IP stop the latency phase.
const maxMissed = 3

// createOne creates Service i of the latency phase and returns when its
// clock started: when the create was sent, or in self mode when the
// status write was. It appends the create (or status write) round trip
// to ack and, with a controller, create → IP in the status to status.
func (b *bench) createOne(ctx context.Context, name string, i int, ack, status *[]time.Duration, ip *netip.Addr) (time.Time, error) {
	if b.t.self {
		svc, err := createService(ctx, b.kube, name, b.t, b.nodes)
		if err != nil {
			return time.Time{}, err
		}
		time.Sleep(20 * time.Millisecond) // let every speaker see the IP-less Service first
		*ip = ipFor(0, i)
		t0 := time.Now()
		if err := setIP(ctx, b.kube, svc, *ip); err != nil {
			return t0, err
		}
		*ack = append(*ack, time.Since(t0))
		return t0, nil
	}
	// The endpoints exist first, as a Deployment's would; the clock starts
	// when the Service create is sent.
	if err := createEndpoints(ctx, b.kube, name, b.nodes, b.t.endpoints); err != nil {
		return time.Time{}, err
	}
	time.Sleep(20 * time.Millisecond)
	t0 := time.Now()
	if _, err := createServiceOnly(ctx, b.kube, name, b.t); err != nil {
		return t0, err
	}
	*ack = append(*ack, time.Since(t0))
	if !waitFor(ctx, 10*time.Second, func() bool { _, ok := b.statusOf(name); return ok }) {
		if err := ctx.Err(); err != nil {
			return t0, err
		}
		return t0, fmt.Errorf("%s gave Service %s/%s no IP within 10 s: %w", b.o.Controller, benchNS, name, errNoIP)
	}
	st, _ := b.statusOf(name)
	*ip = st.ip
	*status = append(*status, st.at.Sub(t0))
	return t0, nil
}
