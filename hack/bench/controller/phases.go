package main

import (
	"context"
	"fmt"
	"time"
)

// latencyPhase creates Services one at a time and measures create (the
// moment the client sent it) → the watch showing its address.
func (b *bench) latencyPhase(ctx context.Context, n int) error {
	fmt.Printf("latency: %d Services created one at a time\n", n)
	var names []string
	var lat, rtt []time.Duration
	url := controllerMetricsURL(ctx, b.cs)
	before, mErr := reconcileTotals(ctx, url)
	for i := range n {
		name := fmt.Sprintf("lat-%04d", i)
		names = append(names, name)
		start := time.Now()
		if err := b.create(ctx, name); err != nil {
			return err
		}
		rtt = append(rtt, time.Since(start))
		if !b.waitAll([]string{name}, func(s string) bool { _, ok := b.addressed[s]; return ok }, 10*time.Second) {
			return fmt.Errorf("service %s got no address in 10s", name)
		}
		b.mu.Lock()
		lat = append(lat, b.addressed[name].Sub(b.created[name]))
		b.mu.Unlock()
	}
	stats("create → status.loadBalancer seen by a watch", lat)
	stats("create request round trip (API server)", rtt)
	if after, err := reconcileTotals(ctx, url); err == nil && mErr == nil && after.Count > before.Count {
		d := after.Minus(before)
		fmt.Printf("  %-44s %s on average over %d reconciles (half are no-ops after the status write)\n",
			"controller reconcile, incl. the status patch", ms(time.Duration(d.Sum/float64(d.Count)*1e9)), d.Count)
	}
	return b.deleteAll(ctx, names, "latency")
}

// churnPhase creates n Services as fast as the API server takes them,
// waits for all addresses, then deletes them all.
func (b *bench) churnPhase(ctx context.Context, n int) error {
	fmt.Printf("churn: %d Services, %d parallel clients\n", n, b.o.parallel)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("churn%d-%05d", n, i)
	}
	first := time.Now()
	last, err := parallel(n, b.o.parallel, func(i int) error { return b.create(ctx, names[i]) })
	if err != nil {
		return err
	}
	fmt.Printf("  created %d in %s (%.0f/s)\n", n, ms(last.Sub(first)), float64(n)/last.Sub(first).Seconds())
	if !b.waitAll(names, func(s string) bool { _, ok := b.addressed[s]; return ok }, 5*time.Minute) {
		return fmt.Errorf("not every Service got an address in 5 minutes")
	}
	var lat []time.Duration
	var allAt time.Time
	distinct := map[string]bool{}
	b.mu.Lock()
	for _, s := range names {
		lat = append(lat, b.addressed[s].Sub(b.created[s]))
		if b.addressed[s].After(allAt) {
			allAt = b.addressed[s]
		}
		distinct[b.ips[s]] = true
	}
	b.mu.Unlock()
	fmt.Printf("  all addressed %s after the last create (%d distinct addresses)\n", ms(allAt.Sub(last)), len(distinct))
	stats("create → address, per Service", lat)
	b.printRSS(fmt.Sprintf("with %d Services", n))
	return b.deleteAll(ctx, names, "churn")
}

func (b *bench) deleteAll(ctx context.Context, names []string, what string) error {
	first := time.Now()
	last, err := parallel(len(names), b.o.parallel, func(i int) error { return b.delete(ctx, names[i]) })
	if err != nil {
		return err
	}
	if !b.waitAll(names, func(s string) bool { _, ok := b.gone[s]; return ok }, 2*time.Minute) {
		return fmt.Errorf("deletes of the %s phase not all observed", what)
	}
	fmt.Printf("  deleted %d in %s\n", len(names), ms(last.Sub(first)))
	return nil
}
