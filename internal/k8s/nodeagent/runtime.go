package nodeagent

import (
	"log/slog"
	"syscall"
	"time"
)

// Proc is one container's process.
type Proc struct {
	Netns    string   // the pod's namespace
	Argv     []string // program and arguments
	LogFile  string   // stdout and stderr, appended
	Match    string   // in the command line of this process only (its config path)
	UID, GID int      // the unprivileged user it runs as
}

// ProcState is what became of a process.
type ProcState struct {
	Running    bool
	Known      bool // the exit status below is real (the process was the agent's child)
	ExitCode   int32
	Signal     int32 // the signal that killed it, or 0
	FinishedAt time.Time
}

// Runtime runs containers' processes. The real one starts them detached
// (they outlive the agent), inside the pod's namespace.
type Runtime interface {
	// Start starts p and returns its pid; onExit is called once it exits,
	// if it exits while this runtime is alive.
	Start(p Proc, onExit func()) (int, error)
	// State reports whether pid (started with match in its command line)
	// still runs, or how it ended.
	State(pid int, match string) ProcState
	// Signal sends sig to pid if it is still the process started with match.
	Signal(pid int, match string, sig syscall.Signal) error
	// KillNetns kills every process left in a pod namespace.
	KillNetns(netns string) error
}

// RuntimeOptions configure the real Runtime (NewLinuxRuntimeWith).
type RuntimeOptions struct {
	// PodCgroup (--pod-cgroup) is a cgroup v2 directory every container
	// process starts in, with all it forks; "" leaves them in the agent's
	// cgroup. Cilium's socket-LB programs are attached to the node's cgroup
	// subtree, so pod processes must be inside it.
	PodCgroup string
	Log       *slog.Logger // nil: stderr
}
