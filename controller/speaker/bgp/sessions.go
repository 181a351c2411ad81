package bgp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
)

// SessionState is what one BGP session is doing.
type SessionState struct {
	Peer    string
	Address netip.Addr
	// State is the FSM state: Idle, Connect, Active, OpenSent, OpenConfirm
	// or Established.
	State string
	// Since is when the session entered State.
	Since time.Time
	// LocalAddress is the session's source address: the next hop peers get.
	LocalAddress netip.Addr
	// Advertised counts prefixes GoBGP has sent on the session (its
	// adj-RIB-out); UpdatesSent counts UPDATE messages. Both are filled
	// by Sessions, not in OnSessionChange.
	Advertised  int
	UpdatesSent uint64
	// BFD is the state of the BFD session beside it (AdminDown, Down,
	// Init, Up); "" when the peer runs no BFD. Filled by Sessions.
	BFD string
}

// Established is the FSM state of a working session.
const Established = "Established"

// session is one peer's session. state is what Sessions reports; fsm is
// the last state GoBGP reported. They differ while an Established session
// is being caught up (catchup.go).
type session struct {
	addr  netip.Addr
	state string
	since time.Time
	local netip.Addr
	fsm   string
	gen   uint64 // counts GoBGP's state changes
}

var stateNames = map[bgp.FSMState]string{
	bgp.BGP_FSM_IDLE:        "Idle",
	bgp.BGP_FSM_CONNECT:     "Connect",
	bgp.BGP_FSM_ACTIVE:      "Active",
	bgp.BGP_FSM_OPENSENT:    "OpenSent",
	bgp.BGP_FSM_OPENCONFIRM: "OpenConfirm",
	bgp.BGP_FSM_ESTABLISHED: Established,
}

func (s *Server) onPeerEvent(ev *apiutil.WatchEventMessage_PeerEvent, ts time.Time) {
	if ev.Type != apiutil.PEER_EVENT_STATE {
		return
	}
	addr := ev.Peer.State.NeighborAddress
	state := stateNames[ev.Peer.State.SessionState]
	s.sessMu.Lock()
	cur, ok := s.sessions[addr]
	if !ok || cur.fsm == state {
		s.sessMu.Unlock()
		return
	}
	cur.fsm = state
	cur.gen++
	if state == Established {
		gen := cur.gen
		s.sessMu.Unlock()
		go s.catchUp(cur, gen, ts, ev.Peer.Transport.LocalAddress)
		return
	}
	fail := failed(cur.state, state, ts.Sub(cur.since))
	cur.state, cur.since, cur.local = state, ts, ev.Peer.Transport.LocalAddress
	snap := SessionState{Address: addr, State: state, Since: ts, LocalAddress: cur.local}
	s.sessMu.Unlock()
	if fail {
		go s.repeer(cur)
	}
	if s.cfg.OnSessionChange != nil {
		snap.Peer = s.peerName(addr)
		s.cfg.OnSessionChange(snap)
	}
}

func (s *Server) peerName(addr netip.Addr) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _ := s.peerAt(addr)
	return p.Name
}

// peerAt returns the configured peer on addr. Called with s.mu held.
func (s *Server) peerAt(addr netip.Addr) (Peer, bool) {
	for _, p := range s.peers {
		if p.Address == addr {
			return p, true
		}
	}
	return Peer{}, false
}

// SetPeers makes the server's neighbours exactly peers. A peer whose
// configuration changed is deleted and added again (its session resets).
// Invalid peers and a second peer on an address already taken are
// skipped, and reported in the error; the others are still configured.
func (s *Server) SetPeers(ctx context.Context, peers []Peer) error {
	var errs []error
	want := map[string]Peer{}
	byAddr := map[netip.Addr]string{}
	sorted := slices.SortedFunc(slices.Values(peers), func(a, b Peer) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range sorted {
		p.Address, p.LocalAddress = p.Address.Unmap(), p.LocalAddress.Unmap()
		if err := p.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if other, ok := byAddr[p.Address]; ok {
			errs = append(errs, fmt.Errorf("peers %s and %s both have address %s; ignoring %s", other, p.Name, p.Address, p.Name))
			continue
		}
		if _, ok := want[p.Name]; ok {
			errs = append(errs, fmt.Errorf("two peers are named %s", p.Name))
			continue
		}
		want[p.Name], byAddr[p.Address] = p, p.Name
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var gone, added []Peer
	for name, old := range s.peers {
		if p, ok := want[name]; !ok || p != old {
			gone = append(gone, old)
		}
	}
	for name, p := range want {
		if old, ok := s.peers[name]; !ok || p != old {
			added = append(added, p)
		}
	}
	if len(gone) == 0 && len(added) == 0 && s.policy {
		return errors.Join(errs...)
	}
	for _, p := range gone {
		err := s.bgp.DeletePeer(ctx, &api.DeletePeerRequest{Address: p.Address.String()})
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to delete peer %s: %w", p.Name, err))
		}
		delete(s.peers, p.Name)
		s.stopBFD(p)
		s.sessMu.Lock()
		delete(s.sessions, p.Address)
		s.sessMu.Unlock()
	}
	for _, p := range added {
		s.peers[p.Name] = p
	}
	if err := s.installPolicy(ctx); err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, p := range added {
		s.sessMu.Lock()
		s.sessions[p.Address] = &session{addr: p.Address, state: "Idle", fsm: "Idle", since: time.Now()}
		s.sessMu.Unlock()
		if err := s.bgp.AddPeer(ctx, &api.AddPeerRequest{Peer: p.apiPeer()}); err != nil {
			errs = append(errs, fmt.Errorf("failed to add peer %s (%s): %w", p.Name, p.Address, err))
			delete(s.peers, p.Name)
			s.sessMu.Lock()
			delete(s.sessions, p.Address)
			s.sessMu.Unlock()
			continue
		}
		s.startBFD(p)
	}
	return errors.Join(errs...)
}

// Peers returns the configured peers.
func (s *Server) Peers() []Peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Peer, 0, len(s.peers))
	for _, p := range s.peers {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Peer) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Sessions returns every session's state with GoBGP's counters, sorted by
// peer name.
func (s *Server) Sessions(ctx context.Context) ([]SessionState, error) {
	counters := map[netip.Addr]*api.Peer{}
	err := s.bgp.ListPeer(ctx, &api.ListPeerRequest{EnableAdvertised: true}, func(p *api.Peer) {
		if a, err := netip.ParseAddr(p.GetConf().GetNeighborAddress()); err == nil {
			counters[a] = p
		}
	})
	if err != nil {
		return nil, fmt.Errorf("failed to list GoBGP peers: %w", err)
	}
	var out []SessionState
	for _, p := range s.Peers() {
		st := SessionState{Peer: p.Name, Address: p.Address, State: "Idle", BFD: s.bfdState(p.Address)}
		s.sessMu.Lock()
		if cur, ok := s.sessions[p.Address]; ok {
			st.State, st.Since, st.LocalAddress = cur.state, cur.since, cur.local
		}
		s.sessMu.Unlock()
		if c, ok := counters[p.Address]; ok {
			for _, af := range c.GetAfiSafis() {
				st.Advertised += int(af.GetState().GetAdvertised())
			}
			st.UpdatesSent = c.GetState().GetMessages().GetSent().GetUpdate()
			if a, err := netip.ParseAddr(c.GetTransport().GetLocalAddress()); err == nil && st.State == Established {
				st.LocalAddress = a
			}
		}
		out = append(out, st)
	}
	return out, nil
}
