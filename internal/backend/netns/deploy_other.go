package netns

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/controllers/kubevip"
	"github.com/lblab/lblab/internal/controllers/metallb"
	"github.com/lblab/lblab/internal/controllers/openelb"
	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
)

// sessionsWait bounds the wait for every speaker's session of another
// controller.
const sessionsWait = 60 * time.Second

// otherProcesses returns the processes of the lab's controller when it is
// not the bundled one (MetalLB, kube-vip, OpenELB), built or found by
// components.ResolveControllers.
func otherProcesses(ctx context.Context, l *lab.Lab, p *plan) ([]controllers.Process, error) {
	var nodes []controllers.Node
	for _, n := range p.nodes {
		if len(n.addrs) == 0 {
			return nil, fmt.Errorf("node %s has no address for its speaker", n.name)
		}
		nodes = append(nodes, controllers.Node{Name: n.name, IP: n.addrs[0].Addr()})
	}
	o := components.Options{Log: l.Log}
	switch t := l.Topology; t.Controller.Type {
	case topology.ControllerMetalLB:
		bins, err := components.ResolveMetalLB(ctx, o, l.Options.ControllerBinDir)
		if err != nil {
			return nil, err
		}
		return metallb.Processes(bins, t, nodes), nil
	case topology.ControllerKubeVIP:
		bins, err := components.ResolveControllers(ctx, o, l.Options.ControllerBinDir, components.KubeVIP, components.KubeVIPCloudProvider)
		if err != nil {
			return nil, err
		}
		return kubevip.Processes(bins, t, nodes, p.tor.addrs[0].Addr())
	case topology.ControllerOpenELB:
		bins, err := components.ResolveControllers(ctx, o, l.Options.ControllerBinDir, components.OpenELBManager)
		if err != nil {
			return nil, err
		}
		return openelb.Processes(bins, t, nodes)
	}
	return nil, fmt.Errorf("the netns backend does not run controller %q", l.Topology.Controller.Type)
}

// expandTmp replaces controllers.TmpDir in each of ss by tmp.
func expandTmp(ss []string, tmp string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ReplaceAll(s, controllers.TmpDir, tmp)
	}
	return out
}

// deployOther runs another controller's processes (MetalLB's, kube-vip's, OpenELB's):
// the control plane's in the control-plane namespace, each node's in its
// namespace or guest, supervised, each with a token of its own
// ServiceAccount from the controller's manifests (applied before), and
// waits until the TOR has an Established session with every node.
func (b *backend) deployOther(ctx context.Context, l *lab.Lab, p *plan, c *cluster, cs kubernetes.Interface, ca []byte) error {
	procs, err := otherProcesses(ctx, l, p)
	if err != nil {
		return err
	}
	hosts := map[string]host{}
	for _, n := range p.nodes {
		hosts[n.name] = n
	}
	var watch []daemon
	var tolerant []startTolerant
	for _, pr := range procs {
		d := lbDaemon{sa: pr.ServiceAccount, saNamespace: pr.Namespace,
			kubeconfig: filepath.Join(c.y.kubeconfigDir(), pr.File+".conf"),
			daemon:     daemon{name: pr.Name, file: pr.File, ns: c.cp.ns, argv: pr.Argv}}
		if pr.Node != "" {
			h := hosts[pr.Node]
			d.ns, d.guest = h.ns, guestOf(h)
		}
		where := "KUBECONFIG=" + d.kubeconfig
		if pr.KubeconfigInHome {
			home := filepath.Join(c.y.kubeconfigDir(), pr.File)
			if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
				return err
			}
			d.kubeconfig, where = filepath.Join(home, ".kube", "config"), "HOME="+home
		}
		d.env = append(append(noProxy(), pr.Env...), where)
		if pr.Prepare != nil {
			tmp := filepath.Join(c.y.kubeconfigDir(), pr.File+".tmp")
			if err := os.MkdirAll(tmp, 0o700); err != nil {
				return err
			}
			if err := pr.Prepare(tmp); err != nil {
				return fmt.Errorf("failed to prepare %s: %w", pr.Name, err)
			}
			d.env = append(d.env, "TMPDIR="+tmp)
			d.argv, d.env = expandTmp(d.argv, tmp), expandTmp(d.env, tmp)
		}
		if pr.KubeconfigFlag != "" {
			d.argv = append(slices.Clone(d.argv), pr.KubeconfigFlag+d.kubeconfig)
		}
		if err := c.ensureWithToken(ctx, cs, d, ca); err != nil {
			return err
		}
		if pr.StartExits > 0 {
			tolerant = append(tolerant, startTolerant{d.daemon, pr.StartExits})
			continue
		}
		watch = append(watch, d.daemon)
	}
	defer c.procs.reportRestarts(ctx, l, tolerant)
	if l.Topology.Controller.Mode == topology.ModeL2 {
		// No sessions to wait for: wait until every speaker serves its
		// metrics, which is what upstream's readiness probe asks.
		return c.procs.waitUntil(ctx, "waiting for every speaker to serve its metrics", sessionsWait, watch, func(ctx context.Context) error {
			return speakersServe(ctx, p, l.Topology.Controller.Type)
		})
	}
	inst := torInstance(l.Name)
	return c.procs.waitUntil(ctx, "waiting for every speaker's BGP session", sessionsWait, watch, func(ctx context.Context) error {
		if err := c.procs.exitedTooOften(ctx, tolerant); err != nil {
			return err
		}
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
		for _, n := range p.nodes {
			if a := n.addrs[0].Addr(); !slices.Contains(est, a) {
				return fmt.Errorf("the TOR has no Established session with %s's speaker (%s)", n.name, a)
			}
		}
		return nil
	})
}

// speakersServe asks every node's speaker of an L2 controller (MetalLB's
// speaker, kube-vip) for its metrics, from the machine (the management
// link reaches every node), as the readiness probe of MetalLB's DaemonSet
// does.
func speakersServe(ctx context.Context, p *plan, ct topology.ControllerType) error {
	port := map[topology.ControllerType]int{topology.ControllerMetalLB: metallb.SpeakerPort, topology.ControllerKubeVIP: kubevip.MetricsPort}[ct]
	if port == 0 {
		return nil
	}
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{}} // no proxy: the lab is local
	for _, n := range p.nodes {
		url := fmt.Sprintf("http://%s/metrics", net.JoinHostPort(n.addrs[0].Addr().String(), strconv.Itoa(port)))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("%s's speaker does not serve its metrics yet: %w", n.name, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s's speaker answers %s for its metrics", n.name, resp.Status)
		}
	}
	return nil
}
