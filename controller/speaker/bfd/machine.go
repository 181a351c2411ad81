package bfd

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/google/gopacket/layers"
)

// machine is a session's protocol state, the bfd.* variables of RFC 5880
// §6.8.1 that asynchronous mode without authentication needs. The
// Session's methods below change it with s.mu held.
type machine struct {
	localDiscr, remoteDiscr  uint32
	state, remoteState       State
	diag, remoteDiag         Diagnostic
	since                    time.Time
	desiredMinTx             time.Duration // what we send as DesiredMinTxInterval
	remoteMinRx, remoteMinTx time.Duration // the peer's RequiredMinRx and DesiredMinTx
	remoteMult               uint8
	lastRx                   time.Time // zero: no packet within the detection time
	polling                  bool      // a Poll Sequence is under way (§6.5)
}

func newMachine(cfg Config, now time.Time) machine {
	return machine{
		state:        Down,
		remoteState:  Down,
		since:        now,
		desiredMinTx: max(cfg.MinTx, slowTx),
		remoteMinRx:  time.Microsecond, // §6.8.1: initialized to 1
	}
}

// loop runs the session: periodic packets, received packets and the
// detection timer, until ctx is done.
func (s *Session) loop(ctx context.Context) {
	tx := time.NewTimer(0) // the first packet goes out at once
	det := time.NewTimer(time.Hour)
	det.Stop()
	defer tx.Stop()
	defer det.Stop()
	for {
		rearmTx := false
		select {
		case <-ctx.Done():
			s.mu.Lock()
			s.stop(time.Now())
			s.mu.Unlock()
			return
		case p := <-s.rx:
			s.mu.Lock()
			rearmTx = s.receive(p, time.Now())
		case <-tx.C:
			s.mu.Lock()
			s.transmit(s.polling, false)
			rearmTx = true
		case <-det.C:
			s.mu.Lock()
			rearmTx = s.expire(time.Now())
		}
		if rearmTx {
			if d := s.nextTx(); d > 0 {
				tx.Reset(d)
			} else {
				tx.Stop()
			}
		}
		if deadline, ok := s.detectDeadline(); ok {
			det.Reset(time.Until(deadline))
		} else {
			det.Stop()
		}
		s.mu.Unlock()
	}
}

// packet is the control packet the session sends now.
func (s *Session) packet(poll, final bool) *layers.BFD {
	return &layers.BFD{
		Version:               1,
		Diagnostic:            layers.BFDDiagnostic(s.diag),
		State:                 layers.BFDState(s.state),
		Poll:                  poll,
		Final:                 final,
		DetectMultiplier:      layers.BFDDetectMultiplier(s.cfg.Multiplier),
		MyDiscriminator:       layers.BFDDiscriminator(s.localDiscr),
		YourDiscriminator:     layers.BFDDiscriminator(s.remoteDiscr),
		DesiredMinTxInterval:  layers.BFDTimeInterval(toMicros(s.desiredMinTx)),
		RequiredMinRxInterval: layers.BFDTimeInterval(toMicros(s.cfg.MinRx)),
		// RequiredMinEchoRxInterval 0: no echo function.
	}
}

// transmit sends one packet. Send errors (no route while a link is down)
// are not fatal: the detection timers say what they mean.
func (s *Session) transmit(poll, final bool) {
	if s.send == nil {
		return
	}
	if b, err := encode(s.packet(poll && !final, final)); err == nil {
		_ = s.send(b)
	}
}

// receive applies a valid packet addressed to this session (RFC 5880
// §6.8.6). It reports whether the periodic transmit timer must be re-armed.
func (s *Session) receive(p *layers.BFD, now time.Time) bool {
	if s.state == AdminDown {
		return false
	}
	oldTx := txInterval(s.desiredMinTx, s.remoteMinRx)
	s.remoteDiscr = uint32(p.MyDiscriminator)
	s.remoteState = State(p.State)
	s.remoteDiag = Diagnostic(p.Diagnostic)
	s.remoteMinRx = fromMicros(uint32(p.RequiredMinRxInterval))
	s.remoteMinTx = fromMicros(uint32(p.DesiredMinTxInterval))
	s.remoteMult = uint8(p.DetectMultiplier)
	s.lastRx = now
	if p.Final {
		s.polling = false
	}
	state, diag := next(s.state, s.remoteState)
	changed := state != s.state
	if changed {
		s.setState(state, diag, now)
	}
	switch {
	case p.Poll: // answer at once, whatever the transmit timer says (§6.8.7)
		s.transmit(false, true)
	case changed: // tell the peer without waiting for the timer
		s.transmit(s.polling, false)
	}
	return changed || txInterval(s.desiredMinTx, s.remoteMinRx) != oldTx
}

// expire handles the detection time passing without a packet (§6.8.4).
func (s *Session) expire(now time.Time) bool {
	s.lastRx = time.Time{}
	s.remoteDiscr = 0 // §6.8.1
	if s.state != Init && s.state != Up {
		return false
	}
	s.setState(Down, DiagTimeExpired, now)
	s.transmit(false, false)
	return true
}

// stop takes the session AdminDown when Run ends and tells the peer.
func (s *Session) stop(now time.Time) {
	s.setState(AdminDown, DiagAdminDown, now)
	if !s.silentStop {
		s.transmit(false, false)
	}
}

// setState enters state and applies what comes with it: the slow 1 s rate
// outside Up, and a Poll Sequence when the rate changes in Up (§6.8.3).
func (s *Session) setState(state State, diag Diagnostic, now time.Time) {
	old := s.state
	s.state, s.diag, s.since = state, diag, now
	switch {
	case state == Up:
		if s.desiredMinTx != s.cfg.MinTx {
			s.desiredMinTx = s.cfg.MinTx
			s.polling = true
		}
	case old == Up:
		s.desiredMinTx = max(s.cfg.MinTx, slowTx)
		s.polling = false
	}
	s.publish(StateChange{Old: old, New: state, Diag: diag, RemoteDiag: s.remoteDiag, At: now})
}

// nextTx is the jittered time to the next periodic packet; 0 means none.
func (s *Session) nextTx() time.Duration {
	iv := txInterval(s.desiredMinTx, s.remoteMinRx)
	if iv == 0 {
		return 0
	}
	return jitter(iv, s.cfg.Multiplier, rand.Float64())
}

// detectDeadline is when the detection time runs out, if it runs.
func (s *Session) detectDeadline() (time.Time, bool) {
	if s.lastRx.IsZero() {
		return time.Time{}, false
	}
	return s.lastRx.Add(detectionTime(s.remoteMult, s.cfg.MinRx, s.remoteMinTx)), true
}
