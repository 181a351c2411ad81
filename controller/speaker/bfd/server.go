package bfd

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/google/gopacket/layers"
)

// Server owns the UDP listeners on port 3784, one per local address (and
// interface), shared by the sessions that use that address, and hands each
// received packet to its session: by Your Discriminator, or by the source
// address while the peer does not know our discriminator yet (it is 0).
// Listeners open with the first session on their address and close with
// the last. The zero Server is not usable; call NewServer.
type Server struct {
	port, peerPort int // listen and destination port: Port, except in tests

	mu        sync.Mutex
	listeners map[listenKey]*listener
	byDiscr   map[uint32]*Session
	byPeer    map[peerKey]*Session

	dropped atomic.Uint64
}

type listenKey struct {
	addr   netip.Addr
	ifname string
}

type peerKey struct {
	local, peer netip.Addr
	ifname      string
}

// NewServer returns a Server with no listeners.
func NewServer() *Server {
	return &Server{
		port: Port, peerPort: Port,
		listeners: map[listenKey]*listener{},
		byDiscr:   map[uint32]*Session{},
		byPeer:    map[peerKey]*Session{},
	}
}

// Dropped counts the packets received and dropped: invalid (RFC 5880
// §6.8.6, a TTL other than 255), for no session, or while a session was
// not keeping up.
func (srv *Server) Dropped() uint64 { return srv.dropped.Load() }

func keysOf(cfg Config) (listenKey, peerKey) {
	return listenKey{cfg.Local, cfg.Interface},
		peerKey{cfg.Local.WithZone(""), cfg.Peer.WithZone(""), cfg.Interface}
}

// attach gives s a discriminator and registers it, opening the listener
// for its local address if it is the first session there.
func (srv *Server) attach(s *Session) error {
	lk, pk := keysOf(s.cfg)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if _, dup := srv.byPeer[pk]; dup {
		return fmt.Errorf("bfd: a session from %s to %s already runs", s.cfg.Local, s.cfg.Peer)
	}
	l := srv.listeners[lk]
	if l == nil {
		var err error
		if l, err = listen(lk, srv.port); err != nil {
			return err
		}
		srv.listeners[lk] = l
		go srv.read(l)
	}
	l.refs++
	discr := rand.Uint32()
	for discr == 0 || srv.byDiscr[discr] != nil {
		discr = rand.Uint32()
	}
	s.mu.Lock()
	s.localDiscr = discr
	s.mu.Unlock()
	srv.byDiscr[discr] = s
	srv.byPeer[pk] = s
	return nil
}

// detach undoes attach.
func (srv *Server) detach(s *Session) {
	lk, pk := keysOf(s.cfg)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	delete(srv.byDiscr, s.localDiscr)
	delete(srv.byPeer, pk)
	if l := srv.listeners[lk]; l != nil {
		if l.refs--; l.refs == 0 {
			delete(srv.listeners, lk)
			l.close()
		}
	}
}

// read receives packets on l until it is closed.
func (srv *Server) read(l *listener) {
	buf := make([]byte, 1500)
	for {
		n, ttl, src, err := l.readFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		p, err := decode(buf[:n], ttl)
		if err == nil {
			err = srv.deliver(l.key, src, p)
		}
		if err != nil {
			srv.dropped.Add(1)
		}
	}
}

// deliver finds the session a valid packet is for and queues it there.
func (srv *Server) deliver(lk listenKey, src netip.Addr, p *layers.BFD) error {
	src = src.Unmap().WithZone("")
	srv.mu.Lock()
	var s *Session
	if p.YourDiscriminator != 0 {
		s = srv.byDiscr[uint32(p.YourDiscriminator)]
		if s != nil && s.cfg.Peer.WithZone("") != src {
			s = nil
		}
	} else {
		s = srv.byPeer[peerKey{lk.addr.WithZone(""), src, lk.ifname}]
	}
	srv.mu.Unlock()
	if s == nil {
		return errNoSession
	}
	select {
	case s.rx <- p:
		return nil
	default:
		return errReceiverBusy
	}
}
