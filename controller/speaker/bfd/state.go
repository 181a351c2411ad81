package bfd

import (
	"fmt"
	"time"

	"github.com/google/gopacket/layers"
)

// State is a BFD session state (RFC 5880 §4.1), with the wire values.
type State uint8

// The session states.
const (
	AdminDown State = 0
	Down      State = 1
	Init      State = 2
	Up        State = 3
)

func (s State) String() string {
	switch s {
	case AdminDown:
		return "AdminDown"
	case Down:
		return "Down"
	case Init:
		return "Init"
	case Up:
		return "Up"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Diagnostic is the reason for the last change of a session's state
// (RFC 5880 §4.1), with the wire values.
type Diagnostic uint8

// The diagnostics this package sets; others are reported as received.
const (
	DiagNone              Diagnostic = 0
	DiagTimeExpired       Diagnostic = 1
	DiagNeighborSignalled Diagnostic = 3
	DiagAdminDown         Diagnostic = 7
)

func (d Diagnostic) String() string { return layers.BFDDiagnostic(d).String() }

// StateChange is one transition of a session's local state.
type StateChange struct {
	Old, New State
	// Diag says why: DiagTimeExpired when the peer fell silent for the
	// detection time, DiagNeighborSignalled when it said Down or AdminDown,
	// DiagAdminDown when Run returned.
	Diag Diagnostic
	// RemoteDiag is the diagnostic in the last packet from the peer.
	RemoteDiag Diagnostic
	At         time.Time
}

// next is the state machine of RFC 5880 §6.2 as §6.8.6 spells it out: the
// local state after a valid packet carrying remote arrives in local. It
// returns the diagnostic to record when the state changes.
func next(local, remote State) (State, Diagnostic) {
	switch {
	case local == AdminDown:
		return AdminDown, DiagNone // §6.8.6: discard the packet
	case remote == AdminDown:
		if local != Down {
			return Down, DiagNeighborSignalled
		}
		return Down, DiagNone
	case local == Down:
		switch remote {
		case Down:
			return Init, DiagNone
		case Init:
			return Up, DiagNone
		}
		return Down, DiagNone
	case local == Init:
		if remote == Init || remote == Up {
			return Up, DiagNone
		}
		return Init, DiagNone
	default: // Up
		if remote == Down {
			return Down, DiagNeighborSignalled
		}
		return Up, DiagNone
	}
}
