package cpvip

import (
	"slices"
	"testing"
)

// TestGate feeds the gate a sequence of probes ('+' ready, '-' failed) and
// checks the action after each one ('.' hold, 'A' announce, 'W' withdraw)
// and whether the VIPs are announced at the end.
func TestGate(t *testing.T) {
	tests := []struct {
		name       string
		fall, rise int
		probes     string
		want       string
		up         bool
	}{
		{"starts withdrawn", 2, 2, "", "", false},
		{"failures while withdrawn do nothing", 2, 2, "----", "....", false},
		{"one success is below rise", 2, 2, "+", ".", false},
		{"rise successes announce", 2, 2, "++", ".A", true},
		{"announced once", 2, 2, "+++++", ".A...", true},
		{"a failure resets the rise count", 2, 2, "+-+-+", ".....", false},
		{"rise counts consecutive successes", 3, 3, "++-+++", ".....A", true},
		{"one failure below fall keeps it", 2, 2, "++-+", ".A..", true},
		{"isolated failures keep it", 2, 2, "++-+-+-+", ".A......", true},
		{"fall failures withdraw", 2, 2, "++--", ".A.W", false},
		{"withdrawn once", 2, 2, "++----", ".A.W..", false},
		{"fall counts consecutive failures", 3, 2, "++--+---", ".A.....W", false},
		{"back after rise again", 2, 2, "++--++", ".A.W.A", true},
		{"flapping every probe never announces", 2, 2, "+-+-+-+-", "........", false},
		{"flapping in pairs follows with fall=rise=2", 2, 2, "++--++--", ".A.W.A.W", false},
		{"fall 1 rise 1 follows every probe", 1, 1, "+-+-", "AWAW", false},
		{"a slow rise damps a flap", 2, 5, "+++++--+-+++++", "....A.W......A", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate(tt.fall, tt.rise)
			var got []byte
			for i, c := range tt.probes {
				r := Result{Ready: c == '+', Reason: "probe " + string(rune('0'+i))}
				d := g.observe(r)
				if d.Reason != r.Reason {
					t.Errorf("probe %d: reason %q, want the probe's %q", i, d.Reason, r.Reason)
				}
				got = append(got, map[Action]byte{Hold: '.', Announce: 'A', Withdraw: 'W'}[d.Action])
			}
			if string(got) != tt.want {
				t.Errorf("probes %s: actions %s, want %s", tt.probes, got, tt.want)
			}
			if g.announced() != tt.up {
				t.Errorf("announced = %v, want %v", g.announced(), tt.up)
			}
		})
	}
}

// TestGateStreak: a decision counts the probes of its outcome in a row.
func TestGateStreak(t *testing.T) {
	g := newGate(3, 2)
	var got []int
	for _, c := range "++---+" {
		got = append(got, g.observe(Result{Ready: c == '+'}).Streak)
	}
	if want := []int{1, 2, 1, 2, 3, 1}; !slices.Equal(got, want) {
		t.Errorf("streaks %v, want %v", got, want)
	}
}
