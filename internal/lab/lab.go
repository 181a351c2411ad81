package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lblab/lblab/internal/status"
	"github.com/lblab/lblab/internal/topology"
)

// Options are the `lblab up` choices that are not in the topology file.
type Options struct {
	// Source is what -t named (a file or a bundled topology), for the record.
	Source string
	// FabricOnly brings up the network (namespaces, bridge, TOR, client)
	// without Kubernetes.
	FabricOnly bool
	// NoWorkloads skips the topology's workloads.
	NoWorkloads bool
	// K8sBinDir is a directory of prebuilt Kubernetes binaries (netns).
	K8sBinDir string
	// ControllerBinDir is a directory of prebuilt binaries of the chosen
	// LoadBalancer controller (netns; e.g. metallb-controller and
	// metallb-speaker).
	ControllerBinDir string
	// Retain keeps a lab whose first `up` failed, for debugging.
	Retain bool
	// OnFailure runs when provisioning fails, before a failed new lab is
	// cleaned up, with what exists of the lab (e.g. to write a
	// diagnostics bundle). Its context is not cancelled with Up's.
	OnFailure func(ctx context.Context, l *Lab, err error)
}

// Lab is one lab being brought up.
type Lab struct {
	Name     string
	Topology *topology.Topology
	Options  Options
	Log      *status.Logger

	changes []string
}

// New returns a Lab for a validated topology.
func New(t *topology.Topology, o Options, log *status.Logger) *Lab {
	if log == nil {
		log = status.Discard()
	}
	return &Lab{Name: t.Name, Topology: t, Options: o, Log: log}
}

// StateDir is this lab's state directory.
func (l *Lab) StateDir() string { return StateDir(l.Name) }

// RunDir is this lab's runtime directory.
func (l *Lab) RunDir() string { return RunDir(l.Name) }

// Kubeconfig is the path of the lab's admin kubeconfig for the host.
func (l *Lab) Kubeconfig() string { return Kubeconfig(l.Name) }

// Path returns a path inside the lab's state directory.
func (l *Lab) Path(elem ...string) string {
	return filepath.Join(append([]string{l.StateDir()}, elem...)...)
}

// Changed records (and prints at -v) something a converging `up` changed.
func (l *Lab) Changed(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.changes = append(l.changes, msg)
	l.Log.Debugf(1, "   %s", msg)
}

// Changes returns what this `up` changed, in order.
func (l *Lab) Changes() []string { return append([]string(nil), l.changes...) }

// Action is one step of `up` after the backend has provisioned the lab.
type Action struct {
	Name string
	Run  func(ctx context.Context, l *Lab) error
}

// Result is what Up reports.
type Result struct {
	// Existed is true when `up` converged a lab that was already there.
	Existed bool
	Changes []string
	Steps   []status.Step
	Total   time.Duration
}

// Up checks prerequisites, provisions the lab through b, then runs the
// actions in order. When that fails, Options.OnFailure runs first; then a
// lab that did not exist before is deleted, unless Options.Retain is set.
func Up(ctx context.Context, b Backend, l *Lab, actions ...Action) (*Result, error) {
	start := time.Now()
	if err := b.Check(ctx, l); err != nil {
		return nil, err
	}
	prev, err := LoadState(l.Name)
	existed := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if existed && prev.Backend != b.Name() {
		return nil, fmt.Errorf("lab %q exists on the %s backend; run `lblab down --name %s` first, or choose another --name",
			l.Name, prev.Backend, l.Name)
	}
	if existed {
		if err := checkReshape(l, prev); err != nil {
			return nil, err
		}
	}
	st := &State{Name: l.Name, Backend: b.Name(), Dataplane: l.Topology.Dataplane,
		Controller: l.Topology.Controller.Type, FabricOnly: l.Options.FabricOnly,
		Source: l.Options.Source, Phase: PhaseProvisioning, Created: time.Now().UTC()}
	if existed {
		st.Created = prev.Created
	}
	if err := SaveState(st); err != nil {
		return nil, fmt.Errorf("failed to write lab state: %w", err)
	}
	err = provision(ctx, b, l, actions)
	res := &Result{Existed: existed, Changes: l.Changes(), Steps: l.Log.Steps(), Total: time.Since(start)}
	if err != nil {
		st.Phase = PhaseFailed
		_ = SaveState(st)
		if l.Options.OnFailure != nil {
			l.Options.OnFailure(context.WithoutCancel(ctx), l, err)
		}
		if !existed && !l.Options.Retain {
			l.Log.Infof("Cleaning up the failed lab (use --retain to keep it) ...")
			if derr := Down(context.WithoutCancel(ctx), b, l.Name); derr != nil {
				l.Log.Warnf("cleanup failed: %v", derr)
			}
		}
		return res, err
	}
	st.Phase = PhaseReady
	if err := SaveState(st); err != nil {
		return res, err
	}
	return res, nil
}

func provision(ctx context.Context, b Backend, l *Lab, actions []Action) error {
	if err := b.Provision(ctx, l); err != nil {
		return err
	}
	if l.Options.FabricOnly {
		return nil
	}
	for _, a := range actions {
		step := l.Log.Start(a.Name)
		err := a.Run(ctx, l)
		step.End(err == nil)
		if err != nil {
			return err
		}
	}
	return nil
}

// checkReshape refuses changes a running lab cannot converge to: its IP
// family and its subnets are baked into the cluster, and its LoadBalancer
// controller is either lblab's, which `up` cannot uninstall, or one
// installed by hand, which the bundled one would fight over every Service.
func checkReshape(l *Lab, st *State) error {
	prev, err := LoadTopology(l.Name)
	if err != nil {
		return nil // a lab whose up was interrupted before it saved one
	}
	was, now := prev.Network, l.Topology.Network
	wasCtl, nowCtl := prev.Controller.Type, l.Topology.Controller.Type
	switch {
	case wasCtl != nowCtl && !st.FabricOnly:
		return fmt.Errorf("lab %q runs with --controller %s and cannot switch to --controller %s while it runs; pass --controller %s to converge it, or run `lblab down --name %s` first",
			l.Name, wasCtl, nowCtl, wasCtl, l.Name)
	case kernel(prev.NodeKernel) != kernel(l.Topology.NodeKernel):
		return fmt.Errorf("lab %q runs its workers on nodeKernel %s and cannot move them to %s while it runs; run `lblab down --name %s` first, or choose another --name",
			l.Name, kernel(prev.NodeKernel), kernel(l.Topology.NodeKernel), l.Name)
	case was.IPFamily != now.IPFamily:
		return fmt.Errorf("lab %q is %s and cannot become %s while it runs; run `lblab down --name %s` first, or choose another --name",
			l.Name, was.IPFamily, now.IPFamily, l.Name)
	case was.IPv4PodSubnet != now.IPv4PodSubnet || was.IPv6PodSubnet != now.IPv6PodSubnet ||
		was.IPv4ServiceSubnet != now.IPv4ServiceSubnet || was.IPv6ServiceSubnet != now.IPv6ServiceSubnet:
		return fmt.Errorf("lab %q's pod and service subnets cannot change while it runs; run `lblab down --name %s` first", l.Name, l.Name)
	}
	return nil
}

// kernel names a node kernel; labs from before nodeKernel ran on the host.
func kernel(k topology.NodeKernel) topology.NodeKernel {
	if k == "" {
		return topology.NodeKernelHost
	}
	return k
}

// Down deletes a lab through its backend and removes its state directory.
// Deleting an absent lab succeeds.
func Down(ctx context.Context, b Backend, name string) error {
	if err := b.Delete(ctx, name); err != nil {
		return err
	}
	if err := os.RemoveAll(StateDir(name)); err != nil {
		return fmt.Errorf("failed to remove state dir: %w", err)
	}
	return nil
}
