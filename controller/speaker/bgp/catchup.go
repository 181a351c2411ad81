package bgp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
)

// GoBGP v4.8.0 tells watchers that a session is Established from inside
// its FSM handler, after it has sent the peer its table, but its FSM
// goroutine marks the peer as advertising only once that handler has
// returned (fsm.go: h.callback(msg), then fsm.state.Store). An AddPath,
// DeletePath or soft reset that GoBGP runs in between skips the peer: the
// peer never gets that route, or keeps one that is gone, until the session
// resets. osrg/gobgp#3336 reports the same loss.
//
// So a session counts as Established here only once GoBGP's own state
// (ListPeer) says so, and if anything changed since the session came up,
// the peer is caught up first: withdrawals made since then are sent again
// and a soft reset out sends every route it should have.

// withdrawalMemory is how long withdrawals are remembered for catch-up. A
// session is normally caught up within milliseconds of coming up.
const withdrawalMemory = time.Minute

// withdrawn is a prefix Withdraw removed from GoBGP, and when.
type withdrawn struct {
	prefix netip.Prefix
	at     time.Time
}

// stampChange records that GoBGP's routes or policy just changed. Called
// with s.mu held, after the change.
func (s *Server) stampChange() { s.changed = time.Now() }

// remember records withdrawals and forgets old ones. Called with s.mu held.
func (s *Server) remember(gone []netip.Prefix, now time.Time) {
	i := 0
	for i < len(s.withdrawals) && now.Sub(s.withdrawals[i].at) > withdrawalMemory {
		i++
	}
	s.withdrawals = s.withdrawals[i:]
	for _, p := range gone {
		s.withdrawals = append(s.withdrawals, withdrawn{prefix: p, at: now})
	}
}

// catchUp finishes a session GoBGP reported Established at since: it waits
// until GoBGP advertises on it, catches the peer up, and only then reports
// the session Established. gen is the session's generation when the event
// came; a newer event makes catchUp give up.
func (s *Server) catchUp(sess *session, gen uint64, since time.Time, local netip.Addr) {
	if s.onEstablishedEvent != nil {
		s.onEstablishedEvent(sess.addr)
	}
	for !s.advertising(sess.addr) {
		if !s.current(sess, gen) {
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
	s.mu.Lock()
	p, found := s.peerAt(sess.addr)
	var err error
	if found && !s.changed.Before(since) {
		err = s.resend(s.ctx, p, since)
	}
	s.sessMu.Lock()
	if s.sessions[sess.addr] != sess || sess.gen != gen {
		s.sessMu.Unlock()
		s.mu.Unlock()
		return
	}
	sess.state, sess.since, sess.local = Established, since, local
	s.sessMu.Unlock()
	s.mu.Unlock()
	if err != nil && s.cfg.Logger != nil {
		s.cfg.Logger.Error("failed to catch up a BGP session that came up while routes changed", "peer", p.Name, "err", err)
	}
	if s.cfg.OnSessionChange != nil {
		s.cfg.OnSessionChange(SessionState{Peer: p.Name, Address: sess.addr, State: Established, Since: since, LocalAddress: local})
	}
}

// current reports whether sess is still the session of its address at
// generation gen.
func (s *Server) current(sess *session, gen uint64) bool {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	return s.sessions[sess.addr] == sess && sess.gen == gen
}

// advertising reports whether GoBGP's FSM has the session Established,
// which is what GoBGP checks before it sends a route on it.
func (s *Server) advertising(addr netip.Addr) bool {
	up := false
	err := s.bgp.ListPeer(s.ctx, &api.ListPeerRequest{Address: addr.String()}, func(p *api.Peer) {
		up = p.GetState().GetSessionState() == api.PeerState_SESSION_STATE_ESTABLISHED
	})
	return err == nil && up
}

// resend sends p again what may have changed since its session came up.
// Called with s.mu held.
func (s *Server) resend(ctx context.Context, p Peer, since time.Time) error {
	var gone []netip.Prefix
	seen := map[netip.Prefix]bool{}
	for _, w := range s.withdrawals {
		_, announced := s.announced[w.prefix]
		if w.at.Before(since) || announced || seen[w.prefix] || family(w.prefix.Addr()) != family(p.Address) {
			continue
		}
		seen[w.prefix] = true
		gone = append(gone, w.prefix)
	}
	var errs []error
	if len(gone) > 0 {
		errs = append(errs, s.withdrawAgain(ctx, gone))
	}
	err := s.bgp.ResetPeer(ctx, &api.ResetPeerRequest{
		Address: p.Address.String(), Soft: true, Direction: api.ResetPeerRequest_DIRECTION_OUT,
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("failed to soft-reset peer %s: %w", p.Name, err))
	}
	return errors.Join(errs...)
}

// withdrawAgain makes GoBGP send withdrawals for prefixes it no longer
// holds: it adds them denied to every peer (nobody gets them), then
// deletes them. GoBGP sends a withdrawal to every session of the family,
// as it does for every Withdraw. Called with s.mu held.
func (s *Server) withdrawAgain(ctx context.Context, gone []netip.Prefix) error {
	deny, allow := denyChanges{}, denyChanges{}
	var paths, withdrawals []*apiutil.Path
	for _, g := range gone {
		for name, peer := range s.peers {
			if family(peer.Address) == family(g.Addr()) {
				deny.add(name, g, false)
				allow.remove(name, g, false)
			}
		}
		p, err := NewAdvertisement(g.Addr(), nil, 0, nil).path()
		if err != nil {
			return err
		}
		w, err := withdrawal(g)
		if err != nil {
			return err
		}
		paths, withdrawals = append(paths, p), append(withdrawals, w)
	}
	defer s.stampChange()
	if err := s.updateDenySets(ctx, deny); err != nil {
		return err
	}
	var errs []error
	if _, err := s.bgp.AddPath(apiutil.AddPathRequest{Paths: paths}); err != nil {
		errs = append(errs, fmt.Errorf("failed to add withdrawn paths back to GoBGP: %w", err))
	} else if err := s.bgp.DeletePath(apiutil.DeletePathRequest{Paths: withdrawals}); err != nil {
		errs = append(errs, fmt.Errorf("failed to withdraw paths from GoBGP again: %w", err))
	}
	return errors.Join(append(errs, s.updateDenySets(ctx, allow))...)
}
