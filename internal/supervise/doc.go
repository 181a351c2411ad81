// Package supervise keeps a lab's long-running processes alive, as the
// kubelet and systemd do on a real node: a process that exits is started
// again after a back-off (1 s, doubling to 30 s, back to 1 s once a run
// lasted 10 s), and every restart is counted, with the last exit status,
// for `lblab status`.
//
// A Supervisor holds named Units (argv, environment, network namespace,
// log and pid files). Ensure converges one unit: it starts a new one,
// restarts one whose command line changed or that the caller says is
// stale (its configuration changed), and keeps the rest. The unit list is
// written to a file on every change, so a supervisor that is started again
// picks up its units and adopts the processes still running from their
// pid files (waiting on them through a pidfd) instead of starting
// duplicates.
//
// The netns backend runs one supervisor per lab (`lblab supervise`, in
// the lab's fabric namespace) for the processes of every netns host; a
// user-mode Linux guest runs one inside the guest for its own. Both serve
// the same small HTTP API on a Unix socket (Serve, Client): the netns
// backend dials the socket, and reaches a guest's through its SSH
// connection.
package supervise
