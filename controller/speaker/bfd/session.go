package bfd

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/gopacket/layers"
)

// Defaults for a Config's zero fields: FRR's and the lab's 300 ms × 3.
const (
	DefaultInterval   = 300 * time.Millisecond
	DefaultMultiplier = 3
)

// Config describes one single-hop session.
type Config struct {
	// Local is the address packets are sent from and received on; Peer is
	// the neighbour's. Both of one family. A link-local address without a
	// zone gets Interface as its zone.
	Local, Peer netip.Addr
	// Interface, when set, binds the session's sockets to it.
	Interface string
	// MinTx is the DesiredMinTxInterval once Up (1 s at least before),
	// MinRx the RequiredMinRxInterval; 0 means DefaultInterval.
	MinTx, MinRx time.Duration
	// Multiplier is the detect multiplier; 0 means DefaultMultiplier.
	Multiplier uint8
	// Server owns the listening sockets. Sessions that share a local
	// address must share a Server; nil gives the session a Server of its own.
	Server *Server
}

// Session is one BFD session in asynchronous mode. Run drives it; State,
// Status and Subscribe may be called from any goroutine.
type Session struct {
	cfg        Config
	srv        *Server
	localDiscr uint32
	rx         chan *layers.BFD
	started    atomic.Bool
	silentStop bool // tests: stop like a crash, without AdminDown

	mu   sync.Mutex
	send func([]byte) error // set by Run; tests replace it
	subs []chan StateChange
	done bool
	machine
}

// Status is a snapshot of a session, for status reports.
type Status struct {
	State, RemoteState      State
	Diag, RemoteDiag        Diagnostic
	LocalDiscr, RemoteDiscr uint32
	// TxInterval is the negotiated interval between our periodic packets
	// (before jitter), DetectionTime how long we wait for the peer's.
	TxInterval, DetectionTime time.Duration
	// Since is when State was entered.
	Since time.Time
}

// New checks cfg, fills in its defaults and returns a session in state
// Down that does nothing until Run.
func New(cfg Config) (*Session, error) {
	cfg.Local, cfg.Peer = cfg.Local.Unmap(), cfg.Peer.Unmap()
	if !cfg.Local.IsValid() || !cfg.Peer.IsValid() {
		return nil, errors.New("bfd: local and peer addresses are required")
	}
	if cfg.Local.Is4() != cfg.Peer.Is4() {
		return nil, fmt.Errorf("bfd: local %s and peer %s are of different families", cfg.Local, cfg.Peer)
	}
	if cfg.Local.Is6() && cfg.Local.IsLinkLocalUnicast() && cfg.Local.Zone() == "" {
		cfg.Local = cfg.Local.WithZone(cfg.Interface)
	}
	if cfg.Peer.Is6() && cfg.Peer.IsLinkLocalUnicast() && cfg.Peer.Zone() == "" {
		cfg.Peer = cfg.Peer.WithZone(cfg.Interface)
	}
	if cfg.MinTx == 0 {
		cfg.MinTx = DefaultInterval
	}
	if cfg.MinRx == 0 {
		cfg.MinRx = DefaultInterval
	}
	if cfg.Multiplier == 0 {
		cfg.Multiplier = DefaultMultiplier
	}
	for _, d := range []time.Duration{cfg.MinTx, cfg.MinRx} {
		if d < time.Microsecond || d > maxInterval {
			return nil, fmt.Errorf("bfd: interval %v is out of range", d)
		}
	}
	if cfg.Server == nil {
		cfg.Server = NewServer()
	}
	s := &Session{cfg: cfg, srv: cfg.Server, rx: make(chan *layers.BFD, 16)}
	s.machine = newMachine(cfg, time.Now())
	return s, nil
}

// Config returns the session's configuration with defaults filled in.
func (s *Session) Config() Config { return s.cfg }

// State returns the local session state.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Status returns a snapshot of the session.
func (s *Session) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{
		State: s.state, RemoteState: s.remoteState,
		Diag: s.diag, RemoteDiag: s.remoteDiag,
		LocalDiscr: s.localDiscr, RemoteDiscr: s.remoteDiscr,
		TxInterval:    txInterval(s.desiredMinTx, s.remoteMinRx),
		DetectionTime: detectionTime(s.remoteMult, s.cfg.MinRx, s.remoteMinTx),
		Since:         s.since,
	}
}

// Subscribe returns a channel of the session's state changes, closed when
// Run returns. It never blocks the session: a reader that falls behind
// loses the oldest changes it has not read, never the newest.
func (s *Session) Subscribe() <-chan StateChange {
	ch := make(chan StateChange, 8)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		close(ch)
	} else {
		s.subs = append(s.subs, ch)
	}
	return ch
}

// publish hands c to every subscriber; s.mu is held.
func (s *Session) publish(c StateChange) {
	for _, ch := range s.subs {
		select {
		case ch <- c:
			continue
		default:
		}
		select { // full: drop the oldest
		case <-ch:
		default:
		}
		select {
		case ch <- c:
		default:
		}
	}
}

// Run opens the session's sockets and runs it until ctx is done; then it
// sends AdminDown to the peer and returns nil. It returns an error when
// the sockets cannot be opened. A session runs once. The sockets are
// opened in the network namespace of the calling OS thread.
func (s *Session) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("bfd: session already ran")
	}
	defer s.close()
	if err := s.srv.attach(s); err != nil {
		return err
	}
	defer s.srv.detach(s)
	conn, err := openSender(s.cfg.Local, s.cfg.Interface)
	if err != nil {
		return err
	}
	defer conn.Close()
	dst := netip.AddrPortFrom(s.cfg.Peer, uint16(s.srv.peerPort))
	s.mu.Lock()
	s.send = func(b []byte) error { _, err := conn.WriteToUDPAddrPort(b, dst); return err }
	s.mu.Unlock()
	s.loop(ctx)
	return nil
}

func (s *Session) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	for _, ch := range s.subs {
		close(ch)
	}
	s.subs = nil
}
