package lab

import "context"

// What `lblab verify` and `lblab inspect` need from a backend beyond its
// nodes' command interface. Backends implement these optionally; the CLI
// asks for them by interface, never by backend name, so the checks
// (package scenarios) never import a backend and no backend imports them.

// SpeakerControl is what a backend offers node-failover: stop one node's
// speaker the way a failing node would (no graceful withdrawal), and a
// function that brings it back. Both backends freeze the speaker process
// (SIGSTOP, then SIGCONT): the netns backend in the node's namespace, the
// kind backend inside the node container. Either way the TCP session
// stays open and sends no keepalive, so the TOR must notice through the
// hold timer.
type SpeakerControl interface {
	StopSpeaker(ctx context.Context, node string) (restore func(context.Context) error, err error)
}

// SpeakerBackend is implemented by backends that can stop and restore a
// node's speaker.
type SpeakerBackend interface {
	Speakers(labName string) SpeakerControl
}

// ProbeBackend is implemented by backends whose nodes hold the lblab
// binary at a known path, for in-node readers (`lblab probe ipvs|ipset|
// gobgp`): netns nodes share the machine's file system; the kind backend
// copies the binary into its nodes. "" when there is none.
type ProbeBackend interface {
	ProbePath() string
}
