package bfd

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
)

const peerDiscr = 0x5eed

// recorder is a session wired to a fake sender: each packet it sends is
// decoded and kept.
type recorder struct {
	t    *testing.T
	s    *Session
	sent []*layers.BFD
}

func newRecorder(t *testing.T, cfg Config) *recorder {
	t.Helper()
	if !cfg.Local.IsValid() {
		cfg.Local, cfg.Peer = netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{t: t, s: s}
	s.localDiscr = 0xabc
	s.send = func(b []byte) error {
		p, err := decode(b, 255)
		if err != nil {
			t.Errorf("session sent an invalid packet: %v", err)
		}
		r.sent = append(r.sent, p)
		return nil
	}
	return r
}

// recv hands the session a packet from the peer in state st.
func (r *recorder) recv(st State, mut ...func(*layers.BFD)) {
	p := &layers.BFD{
		Version: 1, State: layers.BFDState(st), DetectMultiplier: 3,
		MyDiscriminator: peerDiscr, DesiredMinTxInterval: 300000, RequiredMinRxInterval: 300000,
	}
	if st != Down && st != AdminDown {
		p.YourDiscriminator = layers.BFDDiscriminator(r.s.localDiscr)
	}
	for _, f := range mut {
		f(p)
	}
	r.s.mu.Lock()
	r.s.receive(p, time.Now())
	r.s.mu.Unlock()
}

// last returns the last packet sent and forgets the others.
func (r *recorder) last() *layers.BFD {
	r.t.Helper()
	if len(r.sent) == 0 {
		r.t.Fatal("session sent nothing")
	}
	p := r.sent[len(r.sent)-1]
	r.sent = nil
	return p
}

func (r *recorder) tick() *layers.BFD {
	r.s.mu.Lock()
	r.s.transmit(r.s.polling, false)
	r.s.mu.Unlock()
	return r.last()
}

func TestHandshakePollAndSlowRate(t *testing.T) {
	r := newRecorder(t, Config{})
	if p := r.tick(); p.State != layers.BFDStateDown || p.YourDiscriminator != 0 || p.DesiredMinTxInterval != 1000000 ||
		p.RequiredMinRxInterval != 300000 || p.DetectMultiplier != 3 || p.MyDiscriminator != 0xabc {
		t.Fatalf("first packet = %+v, want Down, your discr 0, DesiredMinTx 1 s", p)
	}
	r.recv(Down)
	if p := r.last(); r.s.State() != Init || p.State != layers.BFDStateInit || p.YourDiscriminator != peerDiscr {
		t.Fatalf("after Down: state %v, sent %+v; want Init to discr %#x at once", r.s.State(), p, peerDiscr)
	}
	r.recv(Init)
	p := r.last()
	if r.s.State() != Up || p.State != layers.BFDStateUp || !p.Poll || p.Final || p.DesiredMinTxInterval != 300000 {
		t.Fatalf("after Init: state %v, sent %+v; want Up, Poll, DesiredMinTx 300 ms", r.s.State(), p)
	}
	if p := r.tick(); !p.Poll {
		t.Fatal("periodic packet during the Poll Sequence has no P bit")
	}
	r.recv(Up, func(p *layers.BFD) { p.Final = true })
	if p := r.tick(); p.Poll || p.Final {
		t.Fatalf("after Final: sent %+v, want neither P nor F", p)
	}
	r.recv(Up, func(p *layers.BFD) { p.Poll = true })
	if p := r.last(); !p.Final || p.Poll || p.State != layers.BFDStateUp {
		t.Fatalf("answer to Poll = %+v, want F set, P clear", p)
	}
	r.recv(Down)
	if p := r.last(); r.s.State() != Down || p.Diagnostic != layers.BFDDiagnosticNeighborSignalDown || p.DesiredMinTxInterval != 1000000 {
		t.Fatalf("after peer Down: state %v, sent %+v; want Down, diag 3, back to 1 s", r.s.State(), p)
	}
}

func TestNegotiation(t *testing.T) {
	tests := []struct {
		name               string
		cfg                Config
		remoteTx, remoteRx uint32 // µs
		remoteMult         uint8
		wantTx, wantDetect time.Duration
	}{
		{"300ms x3 both", Config{}, 300000, 300000, 3, 300 * ms, 900 * ms},
		{"peer receives slower", Config{}, 300000, 500000, 3, 500 * ms, 900 * ms},
		{"peer sends slower", Config{}, 1000000, 300000, 3, 300 * ms, 3 * time.Second},
		{"we receive slower", Config{MinRx: 400 * ms}, 300000, 300000, 5, 300 * ms, 2 * time.Second},
		{"we send slower", Config{MinTx: 2 * time.Second}, 300000, 300000, 3, 2 * time.Second, 900 * ms},
		{"peer wants no packets", Config{}, 300000, 0, 3, 0, 900 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(t, tt.cfg)
			set := func(p *layers.BFD) {
				p.DesiredMinTxInterval = layers.BFDTimeInterval(tt.remoteTx)
				p.RequiredMinRxInterval = layers.BFDTimeInterval(tt.remoteRx)
				p.DetectMultiplier = layers.BFDDetectMultiplier(tt.remoteMult)
			}
			r.recv(Down, set)
			r.recv(Up, set)
			st := r.s.Status()
			if st.State != Up || st.TxInterval != tt.wantTx || st.DetectionTime != tt.wantDetect {
				t.Errorf("status = %+v; want Up, tx %v, detection %v", st, tt.wantTx, tt.wantDetect)
			}
			r.s.mu.Lock()
			d := r.s.nextTx()
			r.s.mu.Unlock()
			if tt.wantTx == 0 && d != 0 || d < tt.wantTx*3/4 || d > tt.wantTx {
				t.Errorf("nextTx = %v, want within [75%%, 100%%] of %v", d, tt.wantTx)
			}
		})
	}
}

func TestDetectionExpiry(t *testing.T) {
	r := newRecorder(t, Config{})
	ch := r.s.Subscribe()
	r.recv(Down)
	r.recv(Up)
	r.s.mu.Lock()
	deadline, ok := r.s.detectDeadline()
	if !ok || time.Until(deadline) > 900*ms || time.Until(deadline) < 800*ms {
		t.Errorf("detection deadline in %v, want 900 ms", time.Until(deadline))
	}
	r.s.expire(time.Now())
	_, running := r.s.detectDeadline()
	r.s.mu.Unlock()
	p := r.last()
	if r.s.State() != Down || p.Diagnostic != layers.BFDDiagnosticTimeExpired || p.YourDiscriminator != 0 || running {
		t.Fatalf("after expiry: state %v, sent %+v, timer running %v; want Down, diag 1, your discr 0, stopped", r.s.State(), p, running)
	}
	var got []State
	for len(ch) > 0 {
		c := <-ch
		got = append(got, c.New)
		if c.New == Down && c.Diag != DiagTimeExpired {
			t.Errorf("Down change has diag %v", c.Diag)
		}
	}
	if want := []State{Init, Up, Down}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("state changes = %v, want %v", got, want)
	}
}

func TestAdminDownIgnoresPacketsAndPeerAdminDown(t *testing.T) {
	r := newRecorder(t, Config{})
	r.recv(Down)
	r.recv(Up)
	r.recv(AdminDown, func(p *layers.BFD) { p.Diagnostic = layers.BFDDiagnosticAdminDown })
	if st := r.s.Status(); st.State != Down || st.Diag != DiagNeighborSignalled || st.RemoteDiag != DiagAdminDown {
		t.Fatalf("after peer AdminDown: %+v", st)
	}
	r.s.mu.Lock()
	r.s.stop(time.Now())
	r.s.mu.Unlock()
	if p := r.last(); p.State != layers.BFDStateAdminDown || p.Diagnostic != layers.BFDDiagnosticAdminDown {
		t.Fatalf("stop sent %+v, want AdminDown diag 7", p)
	}
	r.recv(Down)
	if r.s.State() != AdminDown || len(r.sent) != 0 {
		t.Fatalf("AdminDown session reacted to a packet: %v, sent %d", r.s.State(), len(r.sent))
	}
}

func TestSubscribeKeepsNewest(t *testing.T) {
	r := newRecorder(t, Config{})
	ch := r.s.Subscribe()
	r.s.mu.Lock()
	for i := range 20 {
		r.s.setState(State(i%2+2), DiagNone, time.Now()) // Init, Up, Init, …
	}
	r.s.setState(Down, DiagTimeExpired, time.Now())
	r.s.mu.Unlock()
	var last StateChange
	for len(ch) > 0 {
		last = <-ch
	}
	if last.New != Down || last.Diag != DiagTimeExpired {
		t.Errorf("last change read = %+v, want the newest (Down)", last)
	}
	r.s.close()
	if _, ok := <-ch; ok {
		t.Error("channel not closed with the session")
	}
	if _, ok := <-r.s.Subscribe(); ok {
		t.Error("Subscribe after the end returned an open channel")
	}
}
