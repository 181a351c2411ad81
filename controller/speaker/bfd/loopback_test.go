package bfd

import (
	"context"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/lblab/lblab/internal/testutil"
)

// freePort returns a UDP port that was free on addr a moment ago.
func freePort(t *testing.T, addr netip.Addr) int {
	t.Helper()
	c, err := net.ListenUDP(network(addr), net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		if os.Getenv(testutil.EnvIntegration) == "1" {
			t.Fatalf("no %s on this machine: %v", addr, err)
		}
		t.Skipf("no %s on this machine: %v", addr, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// pair runs two sessions on addr against each other: both sides of the
// loopback use the same address, so each Server listens on its own port
// and sends to the other's.
type pair struct {
	a, b       *Session
	stopA      context.CancelFunc
	doneA      chan struct{}
	changesB   <-chan StateChange
	errA, errB chan error
}

func startPair(t *testing.T, addr netip.Addr) *pair {
	t.Helper()
	pa, pb := freePort(t, addr), freePort(t, addr)
	srvA, srvB := NewServer(), NewServer()
	srvA.port, srvA.peerPort = pa, pb
	srvB.port, srvB.peerPort = pb, pa
	cfg := Config{Local: addr, Peer: addr, MinTx: 300 * ms, MinRx: 300 * ms, Multiplier: 3}
	cfg.Server = srvA
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server = srvB
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &pair{a: a, b: b, changesB: b.Subscribe(), doneA: make(chan struct{}), errA: make(chan error, 1), errB: make(chan error, 1)}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	p.stopA = stopA
	go func() { p.errA <- a.Run(ctxA); close(p.doneA) }()
	go func() { p.errB <- b.Run(ctxB) }()
	t.Cleanup(func() {
		stopA()
		stopB()
		for _, ch := range []chan error{p.errA, p.errB} {
			if err := <-ch; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	})
	return p
}

// waitUp waits until both sessions are Up and their Poll Sequences done.
func (p *pair) waitUp(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 5*time.Second {
		sa, sb := p.a.Status(), p.b.Status()
		if sa.State == Up && sb.State == Up && sa.TxInterval == 300*ms && sb.TxInterval == 300*ms && sb.DetectionTime == 900*ms {
			return time.Since(start)
		}
		time.Sleep(10 * ms)
	}
	t.Fatalf("sessions not Up with 300 ms timers within 5 s: a %+v, b %+v", p.a.Status(), p.b.Status())
	return 0
}

// waitDown returns b's first change to Down and how long after since.
func (p *pair) waitDown(t *testing.T, since time.Time, within time.Duration) (StateChange, time.Duration) {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case c := <-p.changesB:
			if c.New == Down {
				return c, c.At.Sub(since)
			}
		case <-timeout:
			t.Fatalf("b still %v %v after a stopped", p.b.State(), within)
		}
	}
}

func TestLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "::1"} {
		addr := netip.MustParseAddr(addr)
		t.Run(addr.String()+"/crash", func(t *testing.T) {
			p := startPair(t, addr)
			t.Logf("Up after %v", p.waitUp(t))
			if p.a.Status().RemoteDiscr != p.b.Status().LocalDiscr || p.b.Status().RemoteDiscr != p.a.Status().LocalDiscr {
				t.Errorf("discriminators not exchanged: a %+v, b %+v", p.a.Status(), p.b.Status())
			}
			time.Sleep(time.Second) // stays Up
			if p.a.State() != Up || p.b.State() != Up {
				t.Fatalf("sessions flapped: a %v, b %v", p.a.State(), p.b.State())
			}
			p.a.silentStop = true // a dies without a word
			stopped := time.Now()
			p.stopA()
			<-p.doneA
			c, took := p.waitDown(t, stopped, 2*time.Second)
			t.Logf("b Down %v after a stopped, diag %v", took, c.Diag)
			// The last packet from a came at most one interval (300 ms)
			// before it stopped, and the detection time is 3 × 300 ms: not
			// sooner than that; the upper bound only proves detection (a
			// busy machine delays timers; the time is logged, not judged).
			if c.Diag != DiagTimeExpired || took > 2*time.Second || took < 900*ms-300*ms-50*ms {
				t.Errorf("b went Down after %v with %v, want %v within the detection time", took, c.Diag, DiagTimeExpired)
			}
		})
		t.Run(addr.String()+"/admin-down", func(t *testing.T) {
			p := startPair(t, addr)
			p.waitUp(t)
			stopped := time.Now()
			p.stopA()
			c, took := p.waitDown(t, stopped, 2*time.Second)
			t.Logf("b Down %v after a stopped, diag %v", took, c.Diag)
			if c.Diag != DiagNeighborSignalled || c.RemoteDiag != DiagAdminDown || took > 500*ms {
				t.Errorf("b went Down after %v with %v (peer said %v), want at once (≤ 500 ms), neighbour signalled AdminDown", took, c.Diag, c.RemoteDiag)
			}
		})
	}
}

func TestRunTwiceAndDuplicatePeer(t *testing.T) {
	addr := netip.MustParseAddr("127.0.0.1")
	srv := NewServer()
	srv.port = freePort(t, addr)
	cfg := Config{Local: addr, Peer: netip.MustParseAddr("127.0.0.2"), Server: srv}
	a, _ := New(cfg)
	b, _ := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() { errA <- a.Run(ctx) }()
	for a.Status().LocalDiscr == 0 {
		time.Sleep(ms)
	}
	if err := b.Run(ctx); err == nil {
		t.Error("a second session to the same peer on the same Server ran")
	}
	cancel()
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	if err := a.Run(context.Background()); err == nil {
		t.Error("Run ran twice")
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.listeners) != 0 || len(srv.byDiscr) != 0 || len(srv.byPeer) != 0 {
		t.Errorf("server kept state after its sessions ended: %d listeners, %d, %d", len(srv.listeners), len(srv.byDiscr), len(srv.byPeer))
	}
}

// TestTTLCheckOnTheWire sends a valid Down packet to a real listener, first
// with the kernel's default TTL (dropped), then with TTL 255 (accepted).
func TestTTLCheckOnTheWire(t *testing.T) {
	addr := netip.MustParseAddr("127.0.0.1")
	srv := NewServer()
	srv.port, srv.peerPort = freePort(t, addr), freePort(t, addr)
	s, err := New(Config{Local: addr, Peer: addr, Server: srv})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	defer func() { cancel(); <-errc }()
	for s.Status().LocalDiscr == 0 {
		time.Sleep(ms)
	}
	b, err := encode(validPacket())
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(srv.port))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(b); err != nil { // TTL 64
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for srv.Dropped() == 0 && time.Now().Before(deadline) {
		time.Sleep(ms)
	}
	if srv.Dropped() != 1 || s.State() != Down {
		t.Fatalf("TTL 64: dropped %d, state %v; want 1 dropped, Down", srv.Dropped(), s.State())
	}
	if err := ipv4.NewConn(c).SetTTL(255); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	for s.State() != Init && time.Now().Before(deadline) {
		time.Sleep(ms)
	}
	if s.State() != Init || srv.Dropped() != 1 {
		t.Fatalf("TTL 255: state %v, dropped %d; want Init, still 1 dropped", s.State(), srv.Dropped())
	}
}
