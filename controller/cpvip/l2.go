package cpvip

import (
	"context"
	"strings"
	"sync"
	"time"
)

// runL2 is Run in L2 mode: it probes every member's /readyz each Interval,
// and answers ARP/NDP for the VIPs while this node is their Owner, until
// ctx ends; then it stops answering and returns nil. It fails at once when
// no responder opens.
func runL2(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	members := append([]Member{{Name: cfg.Self, ReadyzURL: cfg.ReadyzURL}}, cfg.Members...)
	probers := make(map[string]*prober, len(members))
	for _, m := range members {
		p, err := newProber(m.ReadyzURL, cfg.CAFile, cfg.Timeout)
		if err != nil {
			return err
		}
		probers[m.Name] = p
	}
	r, iface, err := openResponder(cfg)
	if err != nil {
		return err
	}
	a := &answerer{cfg: cfg, r: r}
	// The responder has a context of its own, so that it stops answering
	// only after the loop has said so.
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.run(rctx, r)
	}()
	defer func() {
		a.set(nil)
		cancel()
		<-done
	}()
	log.Info("control-plane VIP speaker running: the VIPs are answered for by one node whose kube-apiserver is ready",
		"mode", cfg.Mode, "vips", addrList(cfg.VIPs), "interface", iface, "self", cfg.Self, "members", memberList(members),
		"interval", cfg.Interval, "timeout", cfg.Timeout, "fall", cfg.Fall, "rise", cfg.Rise)

	names := make([]string, len(members))
	for i, m := range members {
		names[i] = m.Name
	}
	state := newL2State(cfg.Self, names, cfg.VIPs, cfg.Fall, cfg.Rise)
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	for {
		results := probeAll(ctx, probers)
		if ctx.Err() != nil {
			return nil
		}
		step := state.observe(results)
		for _, l := range step.logs {
			log.Log(ctx, l.level, l.msg, l.args...)
		}
		a.set(step.want)
		if step.reannounce {
			a.announce()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// probeAll probes every member at once, so that a round takes at most
// Timeout however many members time out.
func probeAll(ctx context.Context, probers map[string]*prober) map[string]Result {
	var mu sync.Mutex
	var wg sync.WaitGroup
	results := make(map[string]Result, len(probers))
	for name, p := range probers {
		wg.Go(func() {
			r := p.probe(ctx)
			mu.Lock()
			defer mu.Unlock()
			results[name] = r
		})
	}
	wg.Wait()
	return results
}

func memberList(members []Member) string {
	s := make([]string, len(members))
	for i, m := range members {
		s[i] = m.Name + "=" + m.ReadyzURL
	}
	return strings.Join(s, ", ")
}
