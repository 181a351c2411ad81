package netns

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
)

// nsRunner runs commands inside a lab host with `ip netns exec`, which also
// gives them the namespace's view of /sys. On the TOR, vtysh is pointed at
// the lab's FRR instance, so `lblab exec tor -- vtysh` just works.
//
// On an ebpf node, cilium-dbg and bpftool run in its agent's mount
// namespace, where the agent's bpffs and sockets are (ciliumnode.Confine):
// `lblab exec node1 -- bpftool map dump pinned /sys/fs/bpf/tc/globals/…`.
type nsRunner struct {
	ns      string
	vtyshTo []string
	// ciliumPID is the pid file of the node's Cilium agent, "" on other
	// nodes; ciliumDbg is the cilium-dbg binary.
	ciliumPID, ciliumDbg string
	inner                run.Runner
}

func (r nsRunner) Run(ctx context.Context, c run.Cmd) ([]byte, error) {
	args := c.Args
	if c.Name == "vtysh" && len(r.vtyshTo) > 0 && !slices.Contains(args, "--vty_socket") {
		args = append(slices.Clone(r.vtyshTo), args...)
	}
	if (c.Name == "cilium-dbg" || c.Name == "bpftool") && r.ciliumPID != "" {
		pid, ok := proc.Alive(r.ciliumPID, "cilium-agent")
		if !ok {
			return nil, fmt.Errorf("%s: the node's Cilium agent is not running (pid file %s)", c.Name, r.ciliumPID)
		}
		prog := c.Name
		if prog == "cilium-dbg" {
			prog = r.ciliumDbg
		}
		c.Args = append([]string{"-t", strconv.Itoa(pid), "-m", "-n", "--", prog}, args...)
		c.Name = "nsenter"
		return r.inner.Run(ctx, c)
	}
	c.Args = append([]string{"netns", "exec", r.ns, c.Name}, args...)
	c.Name = "ip"
	return r.inner.Run(ctx, c)
}

// Nodes returns the lab's hosts: tor, the Kubernetes nodes, and client.
func (b *backend) Nodes(_ context.Context, name string) ([]lab.Node, error) {
	p, err := loadPlan(name)
	if err != nil {
		return nil, err
	}
	var out []lab.Node
	for _, h := range p.hosts() {
		if h.guest {
			out = append(out, lab.Node{Name: h.name, Role: h.role, Addrs: addrs(h.addrs), Runner: guestRunner(name, h),
				Kernel: string(topology.NodeKernelUML)})
			continue
		}
		r := nsRunner{ns: h.ns, inner: b.runner}
		if h.role == lab.RoleTOR {
			r.vtyshTo = torInstance(name).VtyshArgs()
		}
		cilium := h.role.IsKubernetes() && p.dataplane == topology.DataplaneEBPF
		if cilium {
			r.ciliumPID = newK8sLayout(name).pidFile(h.name + "-cilium-agent")
			r.ciliumDbg = filepath.Join(components.CiliumBinDir(), components.CiliumDbg)
		}
		out = append(out, lab.Node{Name: h.name, Role: h.role, Addrs: addrs(h.addrs), ClassAddrs: h.classAddrsOf(), VIPAddrs: addrs(h.vipAddrs), Runner: r,
			NoDataplane: h.role.IsKubernetes() && !runsDataplane(p.dataplane, h, b.hostIPVS()), CiliumAgent: cilium})
	}
	return out, nil
}

// Logs copies the lab's logs (FRR, Kubernetes components, agents) into dir.
func (b *backend) Logs(_ context.Context, name, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	srcs := []string{torInstance(name).LogPath()}
	more, _ := filepath.Glob(filepath.Join(lab.StateDir(name), "logs", "*.log"))
	srcs = append(srcs, more...)
	for _, src := range srcs {
		data, err := os.ReadFile(src)
		if err != nil {
			continue
		}
		dst := filepath.Join(dir, filepath.Base(src))
		if filepath.Base(src) == "frr.log" {
			dst = filepath.Join(dir, "tor-frr.log")
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
