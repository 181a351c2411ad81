package bgp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/lblab/lblab/controller/speaker/bfd"
)

// BFDTimers are a peer's BFD timers. The zero value runs no BFD.
type BFDTimers struct {
	MinTx, MinRx time.Duration
	Multiplier   uint8
}

func (b BFDTimers) enabled() bool { return b.Multiplier > 0 }

// bfdRun is the BFD session beside one peer's BGP session.
type bfdRun struct {
	cancel context.CancelFunc
	sess   atomic.Pointer[bfd.Session] // the running session, once there is one
}

// state is the BFD session's state, "" before it runs.
func (r *bfdRun) state() string {
	if s := r.sess.Load(); s != nil {
		return s.State().String()
	}
	return ""
}

// bfdRetry is how long startBFD waits before it tries again to open a
// session it could not (no route to the peer yet, its sockets failed).
const bfdRetry = time.Second

// startBFD runs a BFD session with p beside its BGP session until stopBFD:
// when the session leaves Up, the BGP session starts over at once (bfdDown),
// so a dead neighbour costs the detection time instead of the hold time.
// Called with s.mu held.
func (s *Server) startBFD(p Peer) {
	if !p.BFD.enabled() {
		return
	}
	if s.bfdSrv == nil {
		s.bfdSrv = bfd.NewServer()
	}
	ctx, cancel := context.WithCancel(s.ctx)
	r := &bfdRun{cancel: cancel}
	s.bfds[p.Address] = r
	srv := s.bfdSrv
	go func() {
		for ctx.Err() == nil {
			err := s.runBFD(ctx, srv, p, r)
			if ctx.Err() != nil {
				return
			}
			s.logBFD(p, fmt.Errorf("%w; trying again in %s", err, bfdRetry))
			select {
			case <-ctx.Done():
			case <-time.After(bfdRetry):
			}
		}
	}()
}

// runBFD runs one BFD session with p until ctx ends or its sockets fail.
func (s *Server) runBFD(ctx context.Context, srv *bfd.Server, p Peer, r *bfdRun) error {
	local := p.LocalAddress
	if !local.IsValid() {
		var err error
		if local, err = sourceFor(p.Address); err != nil {
			return err
		}
	}
	sess, err := bfd.New(bfd.Config{Local: local, Peer: p.Address, Server: srv,
		MinTx: p.BFD.MinTx, MinRx: p.BFD.MinRx, Multiplier: p.BFD.Multiplier})
	if err != nil {
		return err
	}
	r.sess.Store(sess)
	changes := sess.Subscribe()
	go func() {
		for c := range changes {
			if c.Old == bfd.Up {
				s.bfdDown(p, c)
			}
			s.bfdChanged(p, c.New)
		}
	}()
	return sess.Run(ctx)
}

// bfdDown starts p's BGP session over after its BFD session went down,
// unless the BGP session has already failed (then repeer handles it): the
// neighbour is gone or cannot hear us, and its side has dropped the
// session (with BFD) or will at its hold time. Re-adding the peer
// (repeer's way) reconnects within 2 s; a GoBGP reset would idle longer.
func (s *Server) bfdDown(p Peer, c bfd.StateChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, found := s.peerAt(p.Address)
	s.sessMu.Lock()
	sess := s.sessions[p.Address]
	established := found && cur == p && sess != nil && sess.fsm == Established
	if established {
		// The session is over as far as the speaker goes: GoBGP's own
		// Established → Idle for the deleted peer must not look like a
		// failure that repeer would answer with a second re-add.
		sess.state, sess.fsm, sess.since = "Idle", "Idle", time.Now()
		sess.gen++
	}
	s.sessMu.Unlock()
	if !established {
		return
	}
	s.readd(p, "BFD session down ("+c.Diag.String()+"); re-added the BGP peer")
}

// bfdChanged reports a BFD state change as a change of p's session.
func (s *Server) bfdChanged(p Peer, st bfd.State) {
	if s.cfg.OnSessionChange == nil {
		return
	}
	snap := SessionState{Peer: p.Name, Address: p.Address, State: "Idle", BFD: st.String()}
	s.sessMu.Lock()
	if cur, ok := s.sessions[p.Address]; ok {
		snap.State, snap.Since, snap.LocalAddress = cur.state, cur.since, cur.local
	}
	s.sessMu.Unlock()
	s.cfg.OnSessionChange(snap)
}

// stopBFD ends p's BFD session (it tells the neighbour AdminDown). Called
// with s.mu held.
func (s *Server) stopBFD(p Peer) {
	if r, ok := s.bfds[p.Address]; ok {
		r.cancel()
		delete(s.bfds, p.Address)
	}
}

// bfdState is the state of the BFD session with addr, "" without one.
func (s *Server) bfdState(addr netip.Addr) string {
	s.mu.Lock()
	r, ok := s.bfds[addr]
	s.mu.Unlock()
	if !ok {
		return ""
	}
	return r.state()
}

func (s *Server) logBFD(p Peer, err error) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.Warn("BFD", "peer", p.Name, "address", p.Address, "error", err)
	}
}

// sourceFor returns the address the kernel would send from to reach peer:
// connecting a UDP socket picks the route and sends nothing.
func sourceFor(peer netip.Addr) (netip.Addr, error) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(peer, bfd.Port)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("no route to BFD peer %s: %w", peer, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}
