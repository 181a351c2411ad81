package nodeagent

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"
)

// fakeNetwork records what the agent asks of the network.
type fakeNetwork struct {
	mu        sync.Mutex
	calls     []string
	pods      map[string]PodNetwork // set up, by namespace
	routes    []Route
	own       []netip.Prefix
	cluster   []netip.Prefix
	orphans   []PodNetwork // PodNetworks lists these besides the set-up ones
	failSetup error
}

func newFakeNetwork() *fakeNetwork { return &fakeNetwork{pods: map[string]PodNetwork{}} }

func (n *fakeNetwork) record(format string, args ...any) {
	n.calls = append(n.calls, fmt.Sprintf(format, args...))
}

func (n *fakeNetwork) Init() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.record("init")
	return nil
}

func (n *fakeNetwork) Setup(p PodNetwork) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.record("setup %s %s %v via %v", p.Netns, p.HostVeth, p.IPs, p.Gateways)
	if n.failSetup != nil {
		return n.failSetup
	}
	n.pods[p.Netns] = p
	return nil
}

func (n *fakeNetwork) Teardown(p PodNetwork) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.record("teardown %s %s", p.Netns, p.HostVeth)
	delete(n.pods, p.Netns)
	n.orphans = slices.DeleteFunc(n.orphans, func(o PodNetwork) bool { return o.Netns == p.Netns })
	return nil
}

func (n *fakeNetwork) PodNetworks() ([]PodNetwork, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Clone(n.orphans)
	for _, p := range n.pods {
		out = append(out, PodNetwork{Netns: p.Netns, HostVeth: p.HostVeth})
	}
	return out, nil
}

func (n *fakeNetwork) SyncRoutes(r []Route) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.record("routes %v", r)
	n.routes = slices.Clone(r)
	return nil
}

func (n *fakeNetwork) SyncMasquerade(own, cluster []netip.Prefix) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.record("masquerade %v except %v", own, cluster)
	n.own, n.cluster = own, cluster
	return nil
}

func (n *fakeNetwork) snapshot() (pods map[string]PodNetwork, routes []Route, calls []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	pods = map[string]PodNetwork{}
	for k, v := range n.pods {
		pods[k] = v
	}
	return pods, slices.Clone(n.routes), slices.Clone(n.calls)
}

// fakeRuntime runs pretend processes. nginx's behaviour on signals is
// mimicked: SIGQUIT and SIGKILL end it (unless it ignores SIGQUIT).
type fakeRuntime struct {
	mu         sync.Mutex
	next       int
	procs      map[int]*fakeProc
	starts     []Proc
	signals    []string
	killed     []string // namespaces
	ignoreQuit bool
	failStart  error
}

type fakeProc struct {
	p       Proc
	running bool
	code    int32
	signal  int32
	onExit  func()
}

func newFakeRuntime() *fakeRuntime { return &fakeRuntime{next: 1000, procs: map[int]*fakeProc{}} }

func (r *fakeRuntime) Start(p Proc, onExit func()) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failStart != nil {
		return 0, r.failStart
	}
	r.next++
	r.procs[r.next] = &fakeProc{p: p, running: true, onExit: onExit}
	r.starts = append(r.starts, p)
	return r.next, nil
}

// adopt registers a process started by an earlier agent (no onExit).
func (r *fakeRuntime) adopt(pid int, p Proc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.procs[pid] = &fakeProc{p: p, running: true}
}

func (r *fakeRuntime) State(pid int, match string) ProcState {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.procs[pid]
	if !ok || p.p.Match != match {
		return ProcState{ExitCode: 255, FinishedAt: time.Now()}
	}
	if p.running {
		return ProcState{Running: true}
	}
	return ProcState{Known: true, ExitCode: p.code, Signal: p.signal, FinishedAt: time.Now()}
}

func (r *fakeRuntime) Signal(pid int, match string, sig syscall.Signal) error {
	r.mu.Lock()
	r.signals = append(r.signals, fmt.Sprintf("%d %s", pid, sig))
	p, ok := r.procs[pid]
	r.mu.Unlock()
	if !ok || !p.running {
		return nil
	}
	switch {
	case sig == syscall.SIGKILL:
		r.exit(pid, 137, int32(sig))
	case sig == syscall.SIGQUIT && !r.ignoreQuit:
		r.exit(pid, 0, 0)
	}
	return nil
}

func (r *fakeRuntime) KillNetns(ns string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.killed = append(r.killed, ns)
	return nil
}

// exit ends a process as if it had exited with code.
func (r *fakeRuntime) exit(pid int, code, signal int32) {
	r.mu.Lock()
	p := r.procs[pid]
	p.running, p.code, p.signal = false, code, signal
	onExit := p.onExit
	r.mu.Unlock()
	if onExit != nil {
		go onExit()
	}
}

func (r *fakeRuntime) running() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for pid, p := range r.procs {
		if p.running {
			out = append(out, pid)
		}
	}
	slices.Sort(out)
	return out
}

func (r *fakeRuntime) snapshot() (starts []Proc, signals []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.starts), slices.Clone(r.signals)
}

// fakeProber answers readiness checks; set ok to change its verdict.
type fakeProber struct {
	mu    sync.Mutex
	ok    bool
	specs []probeSpec
}

func (p *fakeProber) Probe(_ context.Context, s probeSpec) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.specs = append(p.specs, s)
	if !p.ok {
		return fmt.Errorf("connection refused")
	}
	return nil
}

func (p *fakeProber) set(ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ok = ok
}
