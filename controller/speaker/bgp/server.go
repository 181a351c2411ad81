package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/server"

	"github.com/lblab/lblab/controller/speaker/bfd"
)

// Config configures the embedded GoBGP server.
type Config struct {
	// RouterID is the BGP identifier, an IPv4 address.
	RouterID netip.Addr
	// ASN is the server's global AS. Every Peer also carries its own
	// LocalASN, which is what the session uses.
	ASN uint32
	// APIAddress is where GoBGP's gRPC API listens ("127.0.0.1:50051"), so
	// the gobgp CLI works; empty serves no API.
	APIAddress string
	// Logger receives GoBGP's own log lines; nil discards them.
	Logger *slog.Logger
	// OnSessionChange, if set, is called after a session changes state. It
	// runs on a goroutine of the server and must not block.
	OnSessionChange func(SessionState)
}

// GoBGP's codes for the global families (its oc.AfiSafiTypeToIntMap).
const (
	globalIPv4Unicast = 0
	globalIPv6Unicast = 1
)

// Server is an embedded GoBGP server with a desired set of advertisements.
// Its methods are safe for concurrent use.
type Server struct {
	cfg Config
	bgp *server.BgpServer

	ctx    context.Context // ends with Stop; background work uses it
	cancel context.CancelFunc

	mu        sync.Mutex
	peers     map[string]Peer // by name
	announced map[netip.Prefix]Advertisement
	policy    bool // the export policy exists
	// changed is when Announce or Withdraw last changed GoBGP, and
	// withdrawals are the recent withdrawals: a session that came up
	// since then is caught up (catchup.go).
	changed     time.Time
	withdrawals []withdrawn

	sessMu   sync.Mutex
	sessions map[netip.Addr]*session
	repeers  atomic.Uint64

	// bfdSrv holds the BFD sockets of every peer's BFD session (bfd.go);
	// made with the first. Both are guarded by mu.
	bfdSrv *bfd.Server
	bfds   map[netip.Addr]*bfdRun

	// onEstablishedEvent, if set by a test, runs when GoBGP reports a
	// session Established, before the session is caught up.
	onEstablishedEvent func(netip.Addr)
}

// Start starts GoBGP: no listener (ListenPort -1), the gRPC API if asked,
// and a watch on session states.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if !cfg.RouterID.Is4() {
		return nil, fmt.Errorf("router ID %s is not an IPv4 address", cfg.RouterID)
	}
	if cfg.ASN == 0 {
		return nil, errors.New("ASN is 0")
	}
	var opts []server.ServerOption
	if cfg.APIAddress != "" {
		// GoBGP only logs a failed API listen; check first so the error
		// reaches the user.
		l, err := net.Listen("tcp", cfg.APIAddress)
		if err != nil {
			return nil, fmt.Errorf("failed to listen for the GoBGP API on %s (is another speaker running in this network namespace?): %w", cfg.APIAddress, err)
		}
		l.Close()
		opts = append(opts, server.GrpcListenAddress(cfg.APIAddress))
	}
	if cfg.Logger != nil {
		lvl := new(slog.LevelVar)
		lvl.Set(slog.LevelWarn)
		opts = append(opts, server.LoggerOption(cfg.Logger, lvl))
	}
	s := &Server{
		cfg:       cfg,
		bgp:       server.NewBgpServer(opts...),
		peers:     map[string]Peer{},
		announced: map[netip.Prefix]Advertisement{},
		sessions:  map[netip.Addr]*session{},
		bfds:      map[netip.Addr]*bfdRun{},
	}
	go s.bgp.Serve()
	err := s.bgp.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn:        cfg.ASN,
		RouterId:   cfg.RouterID.String(),
		ListenPort: -1,
		// Only the unicast families: GoBGP gives every configured family
		// its own sharded tables, about 0.4 MiB each even when empty.
		Families: []uint32{globalIPv4Unicast, globalIPv6Unicast},
	}})
	if err != nil {
		s.bgp.Stop()
		return nil, fmt.Errorf("failed to start GoBGP: %w", err)
	}
	if cfg.APIAddress != "" {
		if err := waitListening(ctx, cfg.APIAddress); err != nil {
			s.bgp.Stop()
			return nil, err
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	err = s.bgp.WatchEvent(s.ctx, server.WatchEventMessageCallbacks{OnPeerUpdate: s.onPeerEvent}, server.WatchPeer())
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("failed to watch GoBGP sessions: %w", err)
	}
	return s, nil
}

// Stop closes every session with a CEASE notification, so peers withdraw
// the routes at once, and stops the server.
func (s *Server) Stop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.bgp.Stop()
}

// GoBGP gives direct access to the embedded server, for tests and tools.
func (s *Server) GoBGP() *server.BgpServer { return s.bgp }

// Set makes the announced set exactly advs: it withdraws what is no longer
// wanted and announces what is new or changed.
func (s *Server) Set(ctx context.Context, advs ...Advertisement) error {
	want := make(map[netip.Prefix]bool, len(advs))
	for _, a := range advs {
		want[a.Prefix] = true
	}
	var gone []netip.Prefix
	s.mu.Lock()
	for p := range s.announced {
		if !want[p] {
			gone = append(gone, p)
		}
	}
	s.mu.Unlock()
	return errors.Join(s.Withdraw(ctx, gone...), s.Announce(ctx, advs...))
}

// Announce announces advs, replacing what was announced for their
// prefixes. Advertisements equal to what is announced cost nothing.
func (s *Server) Announce(ctx context.Context, advs ...Advertisement) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		errs  []error
		paths []*apiutil.Path
		added []Advertisement
		deny  = denyChanges{}
	)
	for _, a := range advs {
		if err := a.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		old, had := s.announced[a.Prefix]
		if had && old.Equal(a) {
			continue
		}
		p, err := a.path()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for name, peer := range s.peers {
			if family(peer.Address) != family(a.Prefix.Addr()) {
				continue
			}
			was, now := had && !old.To(name), !a.To(name)
			switch {
			case now && !was:
				deny.add(name, a.Prefix, had)
			case was && !now:
				deny.remove(name, a.Prefix, true)
			}
		}
		paths = append(paths, p)
		added = append(added, a)
	}
	if len(paths) == 0 {
		return errors.Join(errs...)
	}
	defer s.stampChange()
	if err := s.updateDenySets(ctx, deny); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if _, err := s.bgp.AddPath(apiutil.AddPathRequest{Paths: paths}); err != nil {
		// GoBGP does not say which path failed: add them one by one.
		for i, p := range paths {
			if _, err := s.bgp.AddPath(apiutil.AddPathRequest{Paths: []*apiutil.Path{p}}); err != nil {
				errs = append(errs, fmt.Errorf("failed to add %s to GoBGP: %w", added[i].Prefix, err))
				continue
			}
			s.announced[added[i].Prefix] = added[i]
		}
	} else {
		for _, a := range added {
			s.announced[a.Prefix] = a
		}
	}
	return errors.Join(append(errs, s.resetOut(ctx, deny))...)
}

// Withdraw withdraws the prefixes; prefixes not announced are ignored.
func (s *Server) Withdraw(ctx context.Context, prefixes ...netip.Prefix) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		paths []*apiutil.Path
		gone  []netip.Prefix
		deny  = denyChanges{}
	)
	for _, p := range prefixes {
		old, had := s.announced[p]
		if !had {
			continue
		}
		w, err := withdrawal(p)
		if err != nil {
			return err
		}
		paths = append(paths, w)
		gone = append(gone, p)
		for name, peer := range s.peers {
			if family(peer.Address) == family(p.Addr()) && !old.To(name) {
				deny.remove(name, p, false)
			}
		}
	}
	if len(paths) == 0 {
		return nil
	}
	defer s.stampChange()
	if err := s.bgp.DeletePath(apiutil.DeletePathRequest{Paths: paths}); err != nil {
		return fmt.Errorf("failed to withdraw paths from GoBGP: %w", err)
	}
	for _, p := range gone {
		delete(s.announced, p)
	}
	s.remember(gone, time.Now())
	return s.updateDenySets(ctx, deny)
}

// Advertised returns what is announced, in no particular order.
func (s *Server) Advertised() []Advertisement {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Advertisement, 0, len(s.announced))
	for _, a := range s.announced {
		out = append(out, a)
	}
	return out
}

// waitListening returns once GoBGP's API accepts connections: GoBGP opens
// its listener in a goroutine of its own, so a reader started right after
// Start (lblab inspect, the checks) would otherwise see "connection refused".
func waitListening(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("GoBGP's API did not start listening on %s within 5s: %w", addr, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
