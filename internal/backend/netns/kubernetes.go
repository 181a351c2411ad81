package netns

import (
	"context"
	"fmt"

	"github.com/lblab/lblab/internal/lab"
)

// provisionKubernetes starts (or converges) the control plane, then every
// node's agent and kube-proxy, and waits until all nodes are Ready.
// Already-running components are kept; dead or reconfigured ones are
// (re)started, and l.Changed says so.
func (b *backend) provisionKubernetes(ctx context.Context, l *lab.Lab, p *plan, ps *procs, kernels []daemon) error {
	c, err := newCluster(l, p)
	if err != nil {
		return err
	}
	c.procs, c.hostIPVS, c.runner = ps, b.hostIPVS(), b.runner
	if err := c.resolveBinaries(ctx); err != nil {
		return err
	}
	if err := c.writePKI(); err != nil {
		return err
	}
	if err := c.startAPIServer(ctx); err != nil {
		return err
	}
	if err := waitGuests(ctx, l, p, ps, kernels); err != nil {
		return err
	}
	nodes := k8sNodes(l.Topology, p)
	var ds []daemon
	proxy := "kube-proxy"
	if c.usesCilium() {
		proxy = "cilium-agent"
	}
	step := l.Log.Start(fmt.Sprintf("Starting controllers and %d nodes (node agent, %s)", len(nodes), proxy))
	err = c.startControllers(ctx)
	if err == nil {
		ds, err = c.startNodes(ctx, nodes)
	}
	if err == nil {
		err = c.waitControllers(ctx)
	}
	step.End(err == nil)
	if err != nil {
		return err
	}
	return c.waitNodes(ctx, nodes, ds)
}
