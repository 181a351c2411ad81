package netns

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
)

// Speakers lets node-failover freeze a node's speaker process in its
// namespace, as a hung node would.
func (b *backend) Speakers(labName string) lab.SpeakerControl {
	return speakers{lab: labName}
}

// speakers stops a netns lab node's speaker by freezing the process
// (SIGSTOP) in the node's namespace: it stops sending keepalives and its
// TCP session stays open, exactly like a hung node, so the TOR must notice
// through the hold timer. Restoring sends SIGCONT; the speaker finds its
// session reset and reconnects.
type speakers struct {
	lab string
}

// StopSpeaker implements lab.SpeakerControl.
func (s speakers) StopSpeaker(_ context.Context, node string) (func(context.Context) error, error) {
	ns := nsName(s.lab, node)
	pids, err := proc.NetnsPIDs(ns)
	if err != nil {
		return nil, fmt.Errorf("failed to list the processes of namespace %s: %w", ns, err)
	}
	var found []int
	for _, pid := range pids {
		if speakerArgv(proc.Cmdline(pid)) {
			found = append(found, pid)
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no speaker process (`lblab speaker`, or a program named speaker) runs in namespace %s", ns)
	}
	signal := func(sig syscall.Signal) error {
		for _, pid := range found {
			if err := syscall.Kill(pid, sig); err != nil {
				return fmt.Errorf("failed to send %v to speaker pid %d: %w", sig, pid, err)
			}
		}
		return nil
	}
	if err := signal(syscall.SIGSTOP); err != nil {
		_ = signal(syscall.SIGCONT)
		return nil, err
	}
	return func(context.Context) error { return signal(syscall.SIGCONT) }, nil
}

// speakerArgv reports whether argv is a speaker's: `<something>/lblab
// speaker ...`, or a program named speaker (MetalLB's, installed by hand
// with hack/metallb/install.sh, as its image runs /speaker).
func speakerArgv(argv []string) bool {
	if len(argv) == 0 {
		return false
	}
	if filepath.Base(argv[0]) == "speaker" {
		return true
	}
	return len(argv) >= 2 && filepath.Base(argv[0]) != "sh" && slices.Contains(argv[1:], "speaker")
}
