package supervise

import (
	"slices"
	"time"
)

// Unit is one supervised process.
type Unit struct {
	// ID names the unit and its files: "kube-apiserver", "node1-kube-proxy".
	ID string `json:"id"`
	// Name is how messages call it: "kube-proxy on node1".
	Name string `json:"name"`
	// Netns is a named network namespace to run in ("" = the supervisor's).
	Netns   string   `json:"netns,omitempty"`
	Argv    []string `json:"argv"`
	Env     []string `json:"env,omitempty"`
	LogFile string   `json:"logFile"`
	PIDFile string   `json:"pidFile"`
}

// sameCommand reports whether u and o run the same process.
func (u Unit) sameCommand(o Unit) bool {
	return u.Netns == o.Netns && slices.Equal(u.Argv, o.Argv) && slices.Equal(u.Env, o.Env) &&
		u.LogFile == o.LogFile && u.PIDFile == o.PIDFile
}

// Status is what a supervisor knows of one unit.
type Status struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State string `json:"state"` // running, waiting (to restart), stopped
	PID   int    `json:"pid,omitempty"`
	// Since is when it entered its state.
	Since    time.Time `json:"since"`
	Restarts int       `json:"restarts"`
	// LastExit says how its last run ended ("exit status 1", "signal:
	// killed"), and when.
	LastExit   string    `json:"lastExit,omitempty"`
	LastExitAt time.Time `json:"lastExitAt,omitzero"`
}

// Action is what Ensure did.
type Action string

// Ensure's actions.
const (
	Kept      Action = "kept"
	Started   Action = "started"
	Restarted Action = "restarted"
)

// Result is Ensure's answer.
type Result struct {
	Action Action `json:"action"`
	// Reason says why a unit was restarted.
	Reason string `json:"reason,omitempty"`
}

// Backoff is the delay before restarts.
type Backoff struct {
	Initial, Max time.Duration
	// Reset: a run that lasted this long starts the delays over.
	Reset time.Duration
}

// DefaultBackoff is fast enough for fault scenarios in a lab and slow
// enough not to spin on a process that cannot start.
var DefaultBackoff = Backoff{Initial: time.Second, Max: 30 * time.Second, Reset: 10 * time.Second}

// next returns the delay after a run that lasted ran, given the previous
// delay.
func (b Backoff) next(prev, ran time.Duration) time.Duration {
	if prev == 0 || ran >= b.Reset {
		return b.Initial
	}
	return min(2*prev, b.Max)
}
