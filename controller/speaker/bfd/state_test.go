package bfd

import "testing"

// TestNext is the table of RFC 5880 §6.8.6 (and the diagram of §6.2):
// every received state in every local state.
func TestNext(t *testing.T) {
	tests := []struct {
		local, remote State
		want          State
		diag          Diagnostic
	}{
		{AdminDown, AdminDown, AdminDown, DiagNone},
		{AdminDown, Down, AdminDown, DiagNone},
		{AdminDown, Init, AdminDown, DiagNone},
		{AdminDown, Up, AdminDown, DiagNone},

		{Down, AdminDown, Down, DiagNone},
		{Down, Down, Init, DiagNone},
		{Down, Init, Up, DiagNone},
		{Down, Up, Down, DiagNone},

		{Init, AdminDown, Down, DiagNeighborSignalled},
		{Init, Down, Init, DiagNone},
		{Init, Init, Up, DiagNone},
		{Init, Up, Up, DiagNone},

		{Up, AdminDown, Down, DiagNeighborSignalled},
		{Up, Down, Down, DiagNeighborSignalled},
		{Up, Init, Up, DiagNone},
		{Up, Up, Up, DiagNone},
	}
	for _, tt := range tests {
		t.Run(tt.local.String()+"/"+tt.remote.String(), func(t *testing.T) {
			got, diag := next(tt.local, tt.remote)
			if got != tt.want || diag != tt.diag {
				t.Errorf("next(%v, %v) = %v, %v; want %v, %v", tt.local, tt.remote, got, diag, tt.want, tt.diag)
			}
		})
	}
}

func TestStateAndDiagnosticStrings(t *testing.T) {
	for s, want := range map[State]string{AdminDown: "AdminDown", Down: "Down", Init: "Init", Up: "Up", 7: "State(7)"} {
		if s.String() != want {
			t.Errorf("State(%d).String() = %q, want %q", uint8(s), s.String(), want)
		}
	}
	if got := DiagTimeExpired.String(); got != "Control Detection Time Expired" {
		t.Errorf("DiagTimeExpired.String() = %q", got)
	}
}
