package main

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"time"
)

func runIn(ns string, argv ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...).CombinedOutput()
	return string(out), err
}

// waitFor polls cond every millisecond until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// latency creates Services one at a time, then deletes them one at a
// time, and prints the distributions.
func (b *bench) latency(ctx context.Context) error {
	n := b.o.services
	if n == 0 {
		return nil
	}
	b.wire.reset()
	b.fib.reset()
	var (
		wireFirst, wireAll, fib, apiWrite, ctrl []time.Duration
		afterWrite                              []time.Duration // from the status write's response
		missWire, missFIB                       int
		ips                                     = make([]netip.Addr, n)
		names                                   = make([]string, n)
	)
	// With the lab's lblab controller, also say where the time goes.
	var before snapshot
	breakdown := b.o.controller && !b.o.metallb
	if breakdown {
		var err error
		if before, err = b.takeSnapshot(ctx, false); err != nil {
			fmt.Printf("  (no breakdown: %v)\n", err)
			breakdown = false
		}
	}
	for i := range n {
		names[i] = fmt.Sprintf("bench-lat-%d", i)
		var t0, t1 time.Time
		if b.o.controller {
			// The endpoints exist first, as a Deployment's would; the clock
			// starts when the Service create is sent, and t1 when the API
			// server has acknowledged it.
			if err := createEndpoints(ctx, b.kube, names[i], b.nodes); err != nil {
				return err
			}
			time.Sleep(20 * time.Millisecond)
			t0 = time.Now()
			if _, err := createServiceOnly(ctx, b.kube, names[i], false); err != nil {
				return err
			}
			t1 = time.Now()
			apiWrite = append(apiWrite, t1.Sub(t0))
			if !waitFor(10*time.Second, func() bool { _, ok := b.statusOf(names[i]); return ok }) {
				return fmt.Errorf("the controller gave Service %s no IP within 10s", names[i])
			}
			st, _ := b.statusOf(names[i])
			ips[i] = st.ip
			ctrl = append(ctrl, st.at.Sub(t0))
		} else {
			svc, err := createService(ctx, b.kube, names[i], true, b.nodes)
			if err != nil {
				return err
			}
			time.Sleep(20 * time.Millisecond) // let every speaker see the IP-less Service first
			ips[i] = ipFor(0, i)
			t0 = time.Now()
			if err := setIP(ctx, b.kube, svc, ips[i]); err != nil {
				return err
			}
			t1 = time.Now()
			apiWrite = append(apiWrite, t1.Sub(t0))
		}
		p := host(ips[i])
		if !waitFor(5*time.Second, func() bool { _, ok := b.fib.completeAt(p); return ok }) {
			missFIB++
		}
		time.Sleep(20 * time.Millisecond) // the last speakers' UPDATEs reach tcpdump's output
		if t, ok := b.fib.completeAt(p); ok {
			fib = append(fib, t.Sub(t0))
		}
		first, last, k := b.wire.first(p, false)
		if k == 0 {
			missWire++
			continue
		}
		wireFirst = append(wireFirst, first.Sub(t0))
		if !t1.IsZero() {
			afterWrite = append(afterWrite, first.Sub(t1))
		}
		if k == len(b.nodes) {
			wireAll = append(wireAll, last.Sub(t0))
		}
	}
	from := "status written"
	if b.o.controller {
		from = "Service created"
		stats("Service create round trip (API server acknowledges)", apiWrite)
		stats("Service created → status has its IP (controller, seen by the bench)", ctrl)
	} else {
		stats("status write (UpdateStatus round trip)", apiWrite)
	}
	fmt.Printf("announce, %d Services one at a time (%d without UPDATE seen, %d without full FIB route in 5s):\n", n, missWire, missFIB)
	stats(from+" → first UPDATE on the wire (any speaker)", wireFirst)
	if len(afterWrite) > 0 {
		what := "status write returned"
		if b.o.controller {
			what = "create acknowledged"
		}
		stats(what+" → first UPDATE (<0: before the reply)", afterWrite)
	}
	stats(from+" → UPDATE from every speaker", wireAll)
	stats(from+fmt.Sprintf(" → TOR FIB route with all %d next hops", len(b.nodes)), fib)
	if breakdown {
		if after, err := b.takeSnapshot(ctx, true); err == nil {
			printBreakdown(before, after, n)
		} else {
			fmt.Printf("  (no breakdown: %v)\n", err)
		}
	}

	var wdFirst, wdAll, gone []time.Duration
	missGone := 0
	for i := range n {
		p := host(ips[i])
		t0 := time.Now()
		if err := deleteService(ctx, b.kube, names[i]); err != nil {
			return err
		}
		if !waitFor(5*time.Second, func() bool { _, ok := b.fib.goneAt(p); return ok }) {
			missGone++
		}
		time.Sleep(20 * time.Millisecond)
		if t, ok := b.fib.goneAt(p); ok {
			gone = append(gone, t.Sub(t0))
		}
		if first, last, k := b.wire.first(p, true); k > 0 {
			wdFirst = append(wdFirst, first.Sub(t0))
			if k == len(b.nodes) {
				wdAll = append(wdAll, last.Sub(t0))
			}
		}
	}
	fmt.Printf("withdraw, %d Services deleted one at a time (%d routes still present after 5s):\n", n, missGone)
	stats("Service deleted → first withdrawal on the wire", wdFirst)
	stats("Service deleted → withdrawal from every speaker", wdAll)
	stats("Service deleted → TOR FIB route gone", gone)
	return nil
}

// churnPhase creates n Services as fast as the API server takes them,
// waits for every route, measures the speakers' memory, and deletes them.
func (b *bench) churnPhase(ctx context.Context, n int) error {
	b.wire.reset()
	b.fib.reset()
	phase := 1 + n/1000
	names := make([]string, n)
	prefixes := make([]netip.Prefix, n)
	for i := range n {
		names[i] = fmt.Sprintf("bench-c%d-%d", n, i)
		prefixes[i] = host(ipFor(phase, i))
	}
	start := time.Now()
	last, err := parallel(n, b.o.parallel, func(i int) error {
		svc, err := createService(ctx, b.kube, names[i], !b.o.controller, b.nodes)
		if err != nil || b.o.controller {
			return err
		}
		return setIP(ctx, b.kube, svc, prefixes[i].Addr())
	})
	if err != nil {
		return err
	}
	if b.o.controller {
		for i := range n {
			if !waitFor(30*time.Second, func() bool { _, ok := b.statusOf(names[i]); return ok }) {
				return fmt.Errorf("Service %s got no IP within 30s", names[i])
			}
			st, _ := b.statusOf(names[i])
			prefixes[i] = host(st.ip)
		}
	}
	var complete int
	var lastComplete time.Time
	waitFor(b.o.churnWait, func() bool {
		complete, _, lastComplete, _ = b.fib.counts(prefixes)
		return complete == n
	})
	fmt.Printf("churn %d (%d parallel clients): created in %.2fs (%.0f Services/s)\n", n, b.o.parallel,
		last.Sub(start).Seconds(), float64(n)/last.Sub(start).Seconds())
	if complete < n {
		fmt.Printf("  only %d of %d routes complete in the TOR FIB after %s\n", complete, n, b.o.churnWait)
	} else {
		fmt.Printf("  all %d routes in the TOR FIB with all next hops %s after the last create (%s after the first)\n",
			n, ms(lastComplete.Sub(last)), ms(lastComplete.Sub(start)))
	}
	time.Sleep(time.Second) // SpeakerStatus writes and GC settle
	if pid := controllerPID(b.o.lab); b.o.controller && pid > 0 {
		m := readMemory(pid)
		fmt.Printf("  controller (pid %d): RSS %.1f MiB (anon %.1f, file %.1f), peak %.1f MiB, PSS %.1f MiB\n",
			pid, m.rss, m.anon, m.file, m.peak, m.pss)
	}
	for name, pid := range speakerPIDs(b.o.lab, b.nodes) {
		m := readMemory(pid)
		fmt.Printf("  speaker %s (pid %d): RSS %.1f MiB (anon %.1f, file %.1f), peak %.1f MiB, PSS %.1f MiB\n",
			name, pid, m.rss, m.anon, m.file, m.peak, m.pss)
	}
	if b.o.hold > 0 {
		fmt.Printf("  holding %d Services for %s\n", n, b.o.hold)
		time.Sleep(b.o.hold)
	}
	startDel := time.Now()
	lastDel, err := parallel(n, b.o.parallel, func(i int) error { return deleteService(ctx, b.kube, names[i]) })
	if err != nil {
		return err
	}
	var gone int
	var lastGone time.Time
	waitFor(60*time.Second, func() bool {
		_, gone, _, lastGone = b.fib.counts(prefixes)
		return gone == n
	})
	fmt.Printf("  deleted in %.2fs; ", lastDel.Sub(startDel).Seconds())
	if gone < n {
		fmt.Printf("only %d of %d routes gone after 60s\n", gone, n)
	} else {
		fmt.Printf("all routes gone from the TOR FIB %s after the last delete\n", ms(lastGone.Sub(lastDel)))
	}
	return nil
}
