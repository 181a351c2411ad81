package cpvip

import "fmt"

// Action is what the speaker does after a probe.
type Action int

const (
	// Hold keeps the VIPs as they are.
	Hold Action = iota
	// Announce announces the VIPs.
	Announce
	// Withdraw withdraws the VIPs.
	Withdraw
)

func (a Action) String() string {
	switch a {
	case Announce:
		return "announce"
	case Withdraw:
		return "withdraw"
	}
	return "hold"
}

// Result is one /readyz probe: ready or not, and why (the status or the
// error), for the logs.
type Result struct {
	Ready  bool
	Reason string
}

// Decision is the gate's answer to one probe.
type Decision struct {
	Action Action
	// Reason is the reason of the probe that decided it.
	Reason string
	// Streak counts the consecutive probes with this probe's outcome,
	// this one included.
	Streak int
}

// gate is the announce/withdraw state machine: the VIPs start withdrawn,
// are announced after rise consecutive ready probes, and are withdrawn
// after fall consecutive failed ones. A probe of the other outcome resets
// the count. It does no I/O.
type gate struct {
	fall, rise int
	up         bool // the VIPs are announced
	ok, bad    int  // consecutive ready and failed probes
}

func newGate(fall, rise int) *gate {
	if fall < 1 || rise < 1 {
		panic(fmt.Sprintf("cpvip: fall %d and rise %d must be at least 1", fall, rise))
	}
	return &gate{fall: fall, rise: rise}
}

// observe takes one probe result and says what to do.
func (g *gate) observe(r Result) Decision {
	if r.Ready {
		g.ok, g.bad = g.ok+1, 0
		d := Decision{Reason: r.Reason, Streak: g.ok}
		if !g.up && g.ok >= g.rise {
			g.up, d.Action = true, Announce
		}
		return d
	}
	g.ok, g.bad = 0, g.bad+1
	d := Decision{Reason: r.Reason, Streak: g.bad}
	if g.up && g.bad >= g.fall {
		g.up, d.Action = false, Withdraw
	}
	return d
}

// announced reports whether the VIPs should be announced now.
func (g *gate) announced() bool { return g.up }
