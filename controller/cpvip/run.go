package cpvip

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/lblab/lblab/controller/speaker/bgp"
)

// Run starts GoBGP with the static peers, probes /readyz every Interval,
// and announces or withdraws the VIPs as the gate decides, until ctx ends.
// Then it withdraws the VIPs and stops GoBGP, which closes the sessions
// with a CEASE; it returns nil. In L2 mode it answers ARP/NDP instead
// (runL2). A Config that is not valid is an error before anything starts.
func Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return err
	}
	if cfg.Mode == ModeL2 {
		return runL2(ctx, cfg)
	}
	probe, err := newProber(cfg.ReadyzURL, cfg.CAFile, cfg.Timeout)
	if err != nil {
		return err
	}
	log := cfg.Logger
	srv, err := bgp.Start(ctx, bgp.Config{
		RouterID: cfg.RouterID, ASN: cfg.ASN, APIAddress: cfg.GoBGPAPI, Logger: log.With("component", "gobgp"),
		OnSessionChange: sessionLogger(log),
	})
	if err != nil {
		return err
	}
	defer stop(srv, cfg)
	if err := srv.SetPeers(ctx, cfg.Peers); err != nil {
		return fmt.Errorf("--peer: %w", err)
	}
	advs := make([]bgp.Advertisement, len(cfg.VIPs))
	for i, v := range cfg.VIPs {
		advs[i] = bgp.NewAdvertisement(v, nil, 0, nil)
	}
	log.Info("control-plane VIP speaker running: VIPs are announced while kube-apiserver is ready",
		"vips", prefixes(cfg.VIPs), "readyz", cfg.ReadyzURL, "routerID", cfg.RouterID, "asn", cfg.ASN,
		"peers", peerList(cfg.Peers), "interval", cfg.Interval, "timeout", cfg.Timeout, "fall", cfg.Fall, "rise", cfg.Rise,
		"gobgpAPI", cfg.GoBGPAPI)

	g := newGate(cfg.Fall, cfg.Rise)
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	dirty, first := false, true
	for {
		r := probe.probe(ctx)
		if ctx.Err() != nil {
			return nil
		}
		d := g.observe(r)
		logDecision(cfg, d, r, first, g.announced())
		first = false
		if d.Action != Hold {
			dirty = true
		}
		if dirty {
			// Set makes GoBGP's RIB exactly the gate's wish; a failure is
			// retried after the next probe.
			want := advs
			if !g.announced() {
				want = nil
			}
			if err := srv.Set(ctx, want...); err != nil {
				log.Error("failed to update the BGP announcements; retrying", "error", err)
			} else {
				dirty = false
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// logDecision logs transitions, a failed probe while the VIPs are
// announced, and the first probe when it fails; the rest at debug level.
func logDecision(cfg Config, d Decision, r Result, first, up bool) {
	log, vips := cfg.Logger, prefixes(cfg.VIPs)
	switch {
	case d.Action == Announce:
		log.Info(fmt.Sprintf("kube-apiserver ready: announcing %s", vips), "probes", d.Streak)
	case d.Action == Withdraw:
		log.Warn(fmt.Sprintf("kube-apiserver not ready (%s): withdrawing %s", d.Reason, vips), "probes", d.Streak)
	case !r.Ready && up:
		log.Warn(fmt.Sprintf("kube-apiserver probe failed (%s): still announcing %s", d.Reason, vips),
			"failures", d.Streak, "withdrawAfter", cfg.Fall)
	case !r.Ready && first:
		log.Info(fmt.Sprintf("kube-apiserver not ready (%s): not announcing %s yet", d.Reason, vips))
	default:
		log.Debug("kube-apiserver probe", "ready", r.Ready, "reason", r.Reason, "streak", d.Streak)
	}
}

// sessionLogger logs a session that comes up or goes down at info level,
// and the states it goes through while it tries (every few seconds while
// the TOR is away) at debug level.
func sessionLogger(log *slog.Logger) func(bgp.SessionState) {
	var mu sync.Mutex
	up := map[netip.Addr]bool{}
	return func(s bgp.SessionState) {
		mu.Lock()
		was, is := up[s.Address], s.State == bgp.Established
		up[s.Address] = is
		mu.Unlock()
		level := slog.LevelDebug
		if was || is {
			level = slog.LevelInfo
		}
		log.Log(context.Background(), level, "BGP session "+s.State, "peer", s.Peer, "address", s.Address, "from", s.LocalAddress)
	}
}

// stop withdraws the VIPs, so the TOR gets a withdrawal before the CEASE,
// and stops GoBGP.
func stop(srv *bgp.Server, cfg Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if len(srv.Advertised()) > 0 {
		cfg.Logger.Info("stopping: withdrawing " + prefixes(cfg.VIPs))
	}
	if err := srv.Set(ctx); err != nil {
		cfg.Logger.Warn("failed to withdraw the VIPs; stopping GoBGP closes the sessions anyway", "error", err)
	}
	srv.Stop()
}

func prefixes(vips []netip.Addr) string {
	s := make([]string, len(vips))
	for i, v := range vips {
		s[i] = netip.PrefixFrom(v, v.BitLen()).String()
	}
	return strings.Join(s, ", ")
}

func peerList(peers []bgp.Peer) string {
	s := make([]string, len(peers))
	for i, p := range peers {
		s[i] = p.Address.String()
		if p.LocalAddress.IsValid() {
			s[i] += " from " + p.LocalAddress.String()
		}
	}
	return strings.Join(s, ", ")
}
