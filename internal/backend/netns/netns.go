package netns

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/internal/uml"
)

// Options configure the backend. Zero values mean the real machine.
type Options struct {
	// Runner runs ip, sysctl, vtysh, ...; tests inject a run.Recorder.
	Runner run.Runner
}

type backend struct {
	runner   run.Runner
	lookPath func(string) (string, error)
	stat     func(string) (os.FileInfo, error)
	capEff   func() (uint64, error)
	// listNetns lists named network namespaces (the files in /run/netns).
	listNetns func() ([]string, error)
	// hostRoutes lists the machine's routes, for subnet collision checks.
	hostRoutes func(ownLink string) ([]inUse, error)
	// labPIDs returns the pids of the lab's processes: those in its
	// namespaces and those its mark names (proc.OwnerEnv).
	labPIDs  func(lab string, namespaces []string) ([]int, error)
	frrUser  func() (uid, gid int, err error)
	ipvsProc string
	// k8sCheck checks that the Kubernetes binaries can be provided.
	k8sCheck func(components.Options) error
	// findUML finds the user-mode Linux kernel for uml nodes.
	findUML func(binary string) (uml.Kernel, error)
}

// New returns the netns backend.
func New(o Options) lab.Backend {
	b := &backend{
		runner:     o.Runner,
		lookPath:   exec.LookPath,
		stat:       os.Stat,
		capEff:     capEff,
		listNetns:  listNetns,
		hostRoutes: usedByHost,
		labPIDs:    labPIDs,
		frrUser:    frrUser,
		ipvsProc:   "/proc/net/ip_vs",
		k8sCheck:   components.Check,
		findUML:    uml.Find,
	}
	if b.runner == nil {
		b.runner = run.Exec{}
	}
	return b
}

func (b *backend) Name() string { return "netns" }

func listNetns() ([]string, error) {
	entries, err := os.ReadDir("/run/netns")
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out, nil
}

// labNamespaces returns the existing namespaces of a lab, pods included.
func (b *backend) labNamespaces(name string) ([]string, error) {
	all, err := b.listNetns()
	if err != nil {
		return nil, fmt.Errorf("failed to list network namespaces: %w", err)
	}
	var out []string
	for _, ns := range all {
		if strings.HasPrefix(ns, nsPrefix(name)) {
			out = append(out, ns)
		}
	}
	return out, nil
}

// Provision creates or converges the lab: subnets, fabric, hosts, the TOR's
// FRR and, unless the lab is fabric-only, Kubernetes.
func (b *backend) Provision(ctx context.Context, l *lab.Lab) error {
	// Everything this process starts from here on, and their children,
	// carry the lab's mark: Delete finds them by it wherever they are.
	if err := os.Setenv(proc.OwnerEnv, l.Name); err != nil {
		return err
	}
	p, err := b.resolve(l)
	if err != nil {
		return err
	}
	if err := b.provisionFabric(ctx, l, p); err != nil {
		return err
	}
	if err := b.startFRR(ctx, l, p); err != nil {
		return err
	}
	if l.Options.FabricOnly && len(p.guests()) == 0 {
		return nil
	}
	if err := ensureSupervisor(ctx, l, p); err != nil {
		return err
	}
	ps := newProcs(l.Name, p)
	defer ps.close()
	// Guests boot while the control plane starts.
	kernels, err := bootGuests(ctx, l, p, ps)
	if err != nil {
		return err
	}
	if l.Options.FabricOnly {
		return waitGuests(ctx, l, p, ps, kernels)
	}
	return b.provisionKubernetes(ctx, l, p, ps, kernels)
}

// resolve picks the node subnets (keeping those of an existing lab), saves
// the resolved topology and returns the lab's layout.
func (b *backend) resolve(l *lab.Lab) (*plan, error) {
	unlock, err := lab.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	t := l.Topology
	if prev, err := lab.LoadTopology(l.Name); err == nil {
		if t.Network.IPv4Subnet == "" && t.Network.IPFamily.HasV4() {
			t.Network.IPv4Subnet = prev.Network.IPv4Subnet
		}
		if t.Network.IPv6Subnet == "" && t.Network.IPFamily.HasV6() {
			t.Network.IPv6Subnet = prev.Network.IPv6Subnet
		}
	}
	used, err := b.hostRoutes(hostLinkName(l.Name))
	if err != nil {
		return nil, err
	}
	others, err := usedByOthers(l.Name)
	if err != nil {
		return nil, err
	}
	if err := chooseSubnets(t, append(used, others...)); err != nil {
		return nil, err
	}
	// Defaults that depend on the subnets (mode l2's pool), then the
	// checks a chosen subnet may fail (it may overlap a pool).
	topology.SetDefaults(t)
	if err := topology.Validate(t); err != nil {
		return nil, err
	}
	if err := lab.SaveTopology(t); err != nil {
		return nil, fmt.Errorf("failed to save the lab's topology: %w", err)
	}
	return newPlan(t)
}
