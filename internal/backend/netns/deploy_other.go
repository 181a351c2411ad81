package netns

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/internal/controllers/metallb"
	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

// metalLBSessionsWait bounds the wait for every MetalLB speaker's session.
const metalLBSessionsWait = 60 * time.Second

// deployMetalLB runs MetalLB's controller in the control-plane namespace
// and a speaker on every node (in its namespace, or in its guest), each a
// supervised process with a token of its own ServiceAccount from MetalLB's
// manifests (metallb.Install applied them), and waits until the TOR has
// an Established session with every speaker.
func (b *backend) deployMetalLB(ctx context.Context, l *lab.Lab, p *plan, c *cluster, cs kubernetes.Interface, ca []byte) error {
	bins, err := components.ResolveMetalLB(ctx, components.Options{Log: l.Log}, l.Options.ControllerBinDir)
	if err != nil {
		return err
	}
	var nodes []metallb.Node
	hosts := map[string]host{}
	for _, n := range p.nodes {
		if len(n.addrs) == 0 {
			return fmt.Errorf("node %s has no address for MetalLB's speaker", n.name)
		}
		nodes = append(nodes, metallb.Node{Name: n.name, IP: n.addrs[0].Addr()})
		hosts[n.name] = n
	}
	var watch []daemon
	for _, pr := range metallb.Processes(bins, nodes) {
		d := lbDaemon{sa: pr.ServiceAccount, saNamespace: metallb.Namespace,
			kubeconfig: filepath.Join(c.y.kubeconfigDir(), pr.File+".conf"),
			daemon:     daemon{name: pr.Name, file: pr.File, ns: c.cp.ns, argv: pr.Argv}}
		if pr.Node != "" {
			h := hosts[pr.Node]
			d.ns, d.guest = h.ns, guestOf(h)
			where := "namespace " + h.ns
			if h.guest {
				where = "guest " + h.name
			}
			if err := metallb.EnsureSpeakerPod(ctx, cs, pr.Node, "a process in "+where+" started by lblab; this Pod only gives MetalLB's speaker its own object"); err != nil {
				return err
			}
		}
		d.env = append(noProxy(), "KUBECONFIG="+d.kubeconfig)
		if err := c.ensureWithToken(ctx, cs, d, ca); err != nil {
			return err
		}
		watch = append(watch, d.daemon)
	}
	inst := torInstance(l.Name)
	return c.procs.waitUntil(ctx, "waiting for every MetalLB speaker's BGP session", metalLBSessionsWait, watch, func(ctx context.Context) error {
		args := append(append([]string{"netns", "exec", p.tor.ns, "vtysh"}, inst.VtyshArgs()...), "-c", "show bgp summary json")
		out, err := b.runner.Run(ctx, run.Cmd{Name: "ip", Args: args})
		if err != nil {
			return err
		}
		sum, err := frr.ParseSummary(out)
		if err != nil {
			return err
		}
		est := sum.Established()
		for _, n := range nodes {
			if !slices.Contains(est, n.IP) {
				return fmt.Errorf("the TOR has no Established session with %s's speaker (%s)", n.Name, n.IP)
			}
		}
		return nil
	})
}
