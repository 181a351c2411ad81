package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
	"github.com/lblab/lblab/internal/supervise"
	"github.com/lblab/lblab/internal/uml"
)

// The lab's supervisor (`lblab supervise`) runs in its fabric namespace
// and keeps every process of the netns hosts and every guest's kernel
// alive; a guest's own supervisor, inside the guest, keeps its node's
// processes alive. Both are reached through procs.
const supervisorFile = "supervisor"

func (y k8sLayout) supervisorSocket() string { return filepath.Join(y.run, "supervisor.sock") }
func (y k8sLayout) supervisorUnits() string {
	return filepath.Join(y.state, "supervisor", "units.json")
}

// guestSupervisor is where a guest's supervisor listens, inside the guest.
const guestSupervisor = "/run/lblab-guest/supervisor.sock"

// guestUnits is where a guest's supervisor keeps its unit list (in the
// lab's state directory, which the guest mounts read-write), so a guest
// that boots again starts its node's processes by itself.
func (y k8sLayout) guestUnits(node string) string {
	return filepath.Join(y.state, "supervisor", node+"-units.json")
}

// ensureSupervisor starts the lab's supervisor unless it runs, and waits
// until it answers.
func ensureSupervisor(ctx context.Context, l *lab.Lab, p *plan) error {
	y := newK8sLayout(l.Name)
	self, err := selfBinary()
	if err != nil {
		return err
	}
	pidFile := y.pidFile(supervisorFile)
	if _, ok := proc.Alive(pidFile, "supervise"); !ok {
		spec := proc.Spec{Name: "lab supervisor", Netns: p.fabricNS,
			Argv:    []string{self, "supervise", "--socket", y.supervisorSocket(), "--units", y.supervisorUnits()},
			Env:     noProxy(),
			LogFile: y.logFile(supervisorFile), PIDFile: pidFile}
		if _, err := proc.Start(spec); err != nil {
			return err
		}
		l.Changed("started the lab's process supervisor")
	}
	c := supervise.UnixClient(y.supervisorSocket())
	defer c.Close()
	var last error
	err = wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		if _, last = c.Status(ctx); last == nil {
			return true, nil
		}
		if _, ok := proc.Alive(pidFile, "supervise"); !ok {
			return false, errors.New("it exited")
		}
		return false, nil
	})
	if err == nil {
		return nil
	}
	return fmt.Errorf("the lab's supervisor does not answer (%v, %v); its log:\n%s", last, err, indent(proc.Tail(y.logFile(supervisorFile), 10)))
}

// procs reaches the supervisors of one lab.
type procs struct {
	y      k8sLayout
	lab    *supervise.Client
	guests map[string]*supervise.Client // by node
}

func newProcs(labName string, p *plan) *procs {
	y := newK8sLayout(labName)
	ps := &procs{y: y, lab: supervise.UnixClient(y.supervisorSocket()), guests: map[string]*supervise.Client{}}
	for _, g := range p.guests() {
		r := guestRunner(labName, g)
		ps.guests[g.name] = supervise.NewClient(func(ctx context.Context) (net.Conn, error) {
			return r.Dial(ctx, guestSupervisor)
		})
	}
	return ps
}

// guestRunner runs commands in a guest over SSH, at its first address.
func guestRunner(labName string, h host) uml.Runner {
	return uml.Runner{Addr: net.JoinHostPort(h.addrs[0].Addr().String(), "22"), KeyDir: sshDir(labName)}
}

// sshDir holds the lab's SSH keys.
func sshDir(labName string) string { return filepath.Join(lab.StateDir(labName), "pki", "ssh") }

func (ps *procs) client(d daemon) *supervise.Client {
	if d.guest != "" {
		return ps.guests[d.guest]
	}
	return ps.lab
}

func (ps *procs) unit(d daemon) supervise.Unit {
	return supervise.Unit{ID: d.file, Name: d.name, Netns: d.ns, Argv: d.argv, Env: append(noProxy(), d.env...),
		LogFile: ps.y.logFile(d.file), PIDFile: ps.y.pidFile(d.file)}
}

// ensure has d's supervisor run it, restarting it when d.stale says so,
// and says what changed through l.Changed. It reports whether d was
// (re)started.
func (ps *procs) ensure(ctx context.Context, l *lab.Lab, d daemon) (bool, error) {
	res, err := ps.client(d).Ensure(ctx, ps.unit(d), d.stale)
	if err != nil {
		return false, fmt.Errorf("failed to start %s: %w", d.name, err)
	}
	switch res.Action {
	case supervise.Started:
		l.Changed("started %s", d.name)
	case supervise.Restarted:
		l.Changed("restarted %s (%s)", d.name, res.Reason)
	default:
		return false, nil
	}
	return true, nil
}

// remove stops d and forgets it, if its supervisor runs it.
func (ps *procs) remove(ctx context.Context, l *lab.Lab, d daemon) error {
	if _, ok, err := ps.status(ctx, d); err != nil || !ok {
		return err
	}
	if err := ps.client(d).Remove(ctx, d.file); err != nil {
		return fmt.Errorf("failed to stop %s: %w", d.name, err)
	}
	l.Changed("stopped %s", d.name)
	return nil
}

// status returns d's state; ok is false when its supervisor has no such
// unit.
func (ps *procs) status(ctx context.Context, d daemon) (supervise.Status, bool, error) {
	all, err := ps.client(d).Status(ctx)
	if err != nil {
		return supervise.Status{}, false, err
	}
	for _, st := range all {
		if st.ID == d.file {
			return st, true, nil
		}
	}
	return supervise.Status{}, false, nil
}

// died returns an error naming the first daemon that exited and waits to
// be restarted, with the end of its log.
func (ps *procs) died(ctx context.Context, ds ...daemon) error {
	for _, d := range ds {
		st, ok, err := ps.status(ctx, d)
		if err != nil || !ok || st.State != "waiting" {
			continue
		}
		log := ps.y.logFile(d.file)
		return fmt.Errorf("%s %s (restarted %d times so far); last lines of %s:\n%s\n(full log: %s)",
			d.name, st.LastExit, st.Restarts, log, indent(proc.Tail(log, 15)), log)
	}
	return nil
}

func (ps *procs) close() {
	ps.lab.Close()
	for _, c := range ps.guests {
		c.Close()
	}
}
