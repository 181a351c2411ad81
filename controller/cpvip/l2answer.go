package cpvip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/lblab/lblab/controller/speaker/l2"
)

// openResponder opens a responder on --interface, or else on the
// interface whose subnet holds the first VIP; it returns the interface's
// name too.
func openResponder(cfg Config) (*l2.Responder, string, error) {
	var ifi *net.Interface
	var err error
	if cfg.Interface != "" {
		if ifi, err = net.InterfaceByName(cfg.Interface); err != nil {
			return nil, "", fmt.Errorf("--interface %s: %w", cfg.Interface, err)
		}
	} else if ifi, err = l2.InterfaceFor(cfg.VIPs[0], nil); err != nil {
		return nil, "", fmt.Errorf("no interface to answer for --vip %s on (pass --interface): %w", cfg.VIPs[0], err)
	}
	r, err := l2.NewResponder(ifi, cfg.Logger.With("component", "l2"))
	if err != nil {
		return nil, "", fmt.Errorf("answering ARP/NDP on %s: %w", ifi.Name, err)
	}
	return r, ifi.Name, nil
}

// answerer keeps a responder answering for the VIPs the loop wants. When
// the responder fails for good (its interface was deleted, say), it opens
// a new one every second, since the interface may come back, and gives it
// the VIPs.
type answerer struct {
	cfg  Config
	mu   sync.Mutex
	r    *l2.Responder // nil while none is open
	want []netip.Addr
}

// set has the responder answer for ips, and only them.
func (a *answerer) set(ips []netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if slices.Equal(ips, a.want) {
		return // Set re-reads the interface's addresses: not every round
	}
	a.want = ips
	if a.r != nil {
		a.r.Set(ips)
	}
}

// announce has the responder announce the VIPs it answers for again.
func (a *answerer) announce() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.r != nil {
		a.r.Announce()
	}
}

// run serves r, and the responders that replace it, until ctx ends.
func (a *answerer) run(ctx context.Context, r *l2.Responder) {
	log := a.cfg.Logger
	for {
		err := r.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		log.Error("the L2 responder stopped: not answering ARP/NDP; opening a new one every second", "error", err)
		a.mu.Lock()
		a.r = nil
		a.mu.Unlock()
		for r = nil; r == nil; {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			var iface string
			if r, iface, err = openResponder(a.cfg); err != nil {
				log.Debug("opening the L2 responder failed", "error", err)
			} else {
				log.Info("L2 responder open again", "interface", iface)
			}
		}
		a.mu.Lock()
		a.r = r
		r.Set(a.want)
		a.mu.Unlock()
	}
}
