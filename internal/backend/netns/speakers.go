package netns

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
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
func (s speakers) StopSpeaker(ctx context.Context, node string) (func(context.Context) error, error) {
	if p, g, ok := s.guest(node); ok {
		return stopGuestSpeaker(ctx, p, g)
	}
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

// guest returns the lab's plan and the node's host when the node is a
// user-mode Linux guest.
func (s speakers) guest(node string) (*plan, host, bool) {
	p, err := loadPlan(s.lab)
	if err != nil {
		return nil, host{}, false
	}
	for _, g := range p.guests() {
		if g.name == node {
			return p, g, true
		}
	}
	return nil, host{}, false
}

// stopGuestSpeaker freezes the speaker inside a guest, found through the
// guest's supervisor, with kill over the guest's SSH channel.
func stopGuestSpeaker(ctx context.Context, p *plan, g host) (func(context.Context) error, error) {
	ps := newProcs(p.lab, p)
	defer ps.close()
	d := daemon{name: "lblab speaker on " + g.name, file: g.name + "-lblab-speaker", guest: g.name}
	switch p.controller {
	case topology.ControllerMetalLB:
		d.name, d.file = "metallb speaker on "+g.name, g.name+"-metallb-speaker"
	case topology.ControllerKubeVIP:
		d.name, d.file = "kube-vip on "+g.name, g.name+"-kube-vip"
	case topology.ControllerOpenELB:
		d.name, d.file = "openelb manager on "+g.name, g.name+"-openelb-manager"
	}
	st, ok, err := ps.status(ctx, d)
	switch {
	case err != nil:
		return nil, fmt.Errorf("failed to ask %s's supervisor for its speaker: %w", g.name, err)
	case !ok || st.State != "running":
		return nil, fmt.Errorf("no speaker runs on %s (its supervisor says %q)", g.name, st.State)
	}
	r := guestRunner(p.lab, g)
	signal := func(ctx context.Context, sig string) error {
		if _, err := r.Run(ctx, run.Cmd{Name: "kill", Args: []string{"-" + sig, strconv.Itoa(st.PID)}}); err != nil {
			return fmt.Errorf("failed to send SIG%s to the speaker on %s: %w", sig, g.name, err)
		}
		return nil
	}
	if err := signal(ctx, "STOP"); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return signal(ctx, "CONT") }, nil
}

// speakerArgv reports whether argv is a speaker's: `<something>/lblab
// speaker ...`, MetalLB's (metallb-speaker, as `--controller metallb`
// runs it), kube-vip's (`kube-vip manager`), OpenELB's manager (its
// speaker: `--controller openelb` runs one on every node), or a program named speaker
// (MetalLB's image runs /speaker).
func speakerArgv(argv []string) bool {
	if len(argv) == 0 {
		return false
	}
	switch filepath.Base(argv[0]) {
	case "speaker", "metallb-speaker", "openelb-manager":
		return true
	case "kube-vip":
		return len(argv) >= 2 && argv[1] == "manager"
	}
	return len(argv) >= 2 && filepath.Base(argv[0]) != "sh" && slices.Contains(argv[1:], "speaker")
}
