package netns

import (
	"context"
	"os"
	"path/filepath"
	"slices"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
)

// nsRunner runs commands inside a lab host with `ip netns exec`, which also
// gives them the namespace's view of /sys. On the TOR, vtysh is pointed at
// the lab's FRR instance, so `lblab exec tor -- vtysh` just works.
type nsRunner struct {
	ns      string
	vtyshTo []string
	inner   run.Runner
}

func (r nsRunner) Run(ctx context.Context, c run.Cmd) ([]byte, error) {
	args := c.Args
	if c.Name == "vtysh" && len(r.vtyshTo) > 0 && !slices.Contains(args, "--vty_socket") {
		args = append(slices.Clone(r.vtyshTo), args...)
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
		out = append(out, lab.Node{Name: h.name, Role: h.role, Addrs: addrs(h.addrs), ClassAddrs: h.classAddrsOf(), VIPAddrs: addrs(h.vipAddrs), Runner: r,
			NoDataplane: h.role.IsKubernetes() && !runsDataplane(p.dataplane, h, b.hostIPVS())})
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
