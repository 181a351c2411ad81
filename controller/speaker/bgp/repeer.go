package bgp

import (
	"context"
	"time"

	"github.com/osrg/gobgp/v4/api"
)

// repeerMinUptime is how long a session must have been Established for
// its failure to be sped up by re-adding its peer. A session that fails
// sooner is left to GoBGP's own pacing (5 s idle, then connect retries),
// so a flapping peer does not make the speaker reconnect any faster.
var repeerMinUptime = 10 * time.Second

// failed reports whether a state change is a session that failed after
// repeerMinUptime: it leaves Established for Idle (hold timer expired, the
// peer closed the connection or sent a NOTIFICATION).
func failed(from, to string, uptime time.Duration) bool {
	return from == Established && to == "Idle" && uptime >= repeerMinUptime
}

// repeer replaces a failed session's peer with an identical one. GoBGP v4
// idles a hard-coded 5 s after a session fails before it tries to connect
// again; a new peer's FSM connects after 1.5–2 s. So a session comes back
// about 2 s after its peer does, not 7.
//
// sess is the session the failure was seen on: if SetPeers has removed or
// replaced the peer since, nothing is done.
func (s *Server) repeer(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, found := s.peerAt(sess.addr)
	s.sessMu.Lock()
	current := s.sessions[sess.addr] == sess
	due := found && current && sess.state == "Idle"
	s.sessMu.Unlock()
	if !due {
		return
	}
	s.readd(p, "a BGP session failed; re-added its peer to reconnect without GoBGP's 5 s idle")
}

// readd deletes p from GoBGP and adds it again: its session starts over
// and connects within 1.5-2 s. Called with s.mu held.
func (s *Server) readd(p Peer, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.bgp.DeletePeer(ctx, &api.DeletePeerRequest{Address: p.Address.String()}); err != nil {
		s.logRepeer(p, err)
		return
	}
	if err := s.bgp.AddPeer(ctx, &api.AddPeerRequest{Peer: p.apiPeer()}); err != nil {
		s.logRepeer(p, err)
		delete(s.peers, p.Name)
		s.sessMu.Lock()
		delete(s.sessions, p.Address)
		s.sessMu.Unlock()
		return
	}
	s.repeers.Add(1)
	if s.cfg.Logger != nil {
		s.cfg.Logger.Info(why, "peer", p.Name, "address", p.Address)
	}
}

func (s *Server) logRepeer(p Peer, err error) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.Error("failed to re-add the peer of a failed session", "peer", p.Name, "address", p.Address, "err", err)
	}
}

// Repeers counts the failed sessions whose peer was re-added.
func (s *Server) Repeers() uint64 { return s.repeers.Load() }
