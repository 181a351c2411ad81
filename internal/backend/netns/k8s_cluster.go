package netns

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/k8s/controlplane"
	"github.com/lblab/lblab/internal/k8s/pki"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

// cluster is one `up`'s view of a lab's Kubernetes: where things are, the
// binaries, the certificates and the control plane's configuration.
type cluster struct {
	l    *lab.Lab
	p    *plan
	y    k8sLayout
	cp   host   // the first control-plane node: the lb controller's
	cps  []host // every control-plane node
	bins components.Binaries
	// cilium is Cilium's install, in an ebpf lab.
	cilium components.CiliumInstall
	files  pki.Files
	cfg    controlplane.Config
	// replaced are the credential files this `up` replaced; components
	// using them are restarted.
	replaced map[string]bool
	// apiRestarted is set when this up restarted a kube-apiserver that the
	// controllers were using.
	apiRestarted bool
	// procs runs the lab's processes.
	procs *procs
	// hostIPVS is set when the machine's kernel has IPVS.
	hostIPVS bool
	// runner runs the machine's commands (ip), as the backend's does.
	runner run.Runner
}

// stale says why a component using these files must restart, or "".
func (c *cluster) stale(paths ...string) string {
	for _, p := range paths {
		if c.replaced[p] {
			return "its credentials changed"
		}
	}
	return ""
}

// newCluster lays out the lab's Kubernetes and validates its networks.
func newCluster(l *lab.Lab, p *plan) (*cluster, error) {
	c := &cluster{l: l, p: p, y: newK8sLayout(l.Name), procs: newProcs(l.Name, p)}
	c.cps = p.controlPlanes()
	if len(c.cps) == 0 {
		return nil, fmt.Errorf("nodes: the topology has no control-plane node; add one (role: control-plane)")
	}
	c.cp = c.cps[0]
	net := l.Topology.Network
	c.cfg = controlplane.Config{
		ClusterName:      "lblab-" + l.Name,
		EtcdDataDir:      c.y.etcdDir(),
		AdvertiseAddress: c.cp.addrs[0].Addr(),
		DualStack:        len(c.cp.addrs) > 1,
		ServiceCIDRs:     net.ServicePrefixes(),
		PodCIDRs:         net.PodPrefixes(),
		VIPs:             p.vips,
	}
	if len(c.cps) > 1 {
		for _, m := range c.cps {
			c.cfg.Members = append(c.cfg.Members, controlplane.Member{Name: m.name, Address: m.addrs[0].Addr()})
		}
		c.cfg.MemberName = c.cp.name
	}
	if err := c.cfg.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// memberConfig is the control plane's configuration on node m.
func (c *cluster) memberConfig(m host) controlplane.Config {
	cfg := c.cfg
	cfg.AdvertiseAddress, cfg.EtcdDataDir = m.addrs[0].Addr(), c.etcdDir(m)
	if len(c.cps) > 1 {
		cfg.MemberName = m.name
	}
	return cfg
}

// etcdDir is node m's etcd data directory: etcd, or etcd-<node> when the
// lab has several control-plane nodes.
func (c *cluster) etcdDir(m host) string {
	if len(c.cps) > 1 {
		return c.y.etcdDir() + "-" + m.name
	}
	return c.y.etcdDir()
}

// resolveBinaries provides the pinned components, building missing ones,
// and links the lab's kubectl where `lblab kubectl` finds it.
func (c *cluster) resolveBinaries(ctx context.Context) error {
	bins, err := components.Resolve(ctx, components.Options{BinDir: c.l.Options.K8sBinDir, Log: c.l.Log})
	if err != nil {
		return err
	}
	c.bins, c.cfg.Bins = bins, bins
	if c.usesCilium() {
		if c.cilium, err = components.ResolveCilium(ctx, components.Options{Log: c.l.Log}); err != nil {
			return err
		}
	}
	link := c.y.kubectl()
	if cur, err := os.Readlink(link); err == nil && cur == bins.Path(components.Kubectl) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return err
	}
	_ = os.Remove(link)
	return os.Symlink(bins.Path(components.Kubectl), link)
}

// writePKI makes or completes the certificates and kubeconfigs.
func (c *cluster) writePKI() (err error) {
	step := c.l.Log.Start("Writing certificates and kubeconfigs")
	defer func() { step.End(err == nil) }()
	var names []string
	for _, n := range c.p.nodes {
		names = append(names, n.name)
	}
	// One serving certificate for every kube-apiserver: their names and
	// addresses, and the VIP.
	var cpNames []string
	cpIPs := slices.Clone(c.p.vips)
	for _, n := range c.cps {
		cpNames = append(cpNames, n.name)
		cpIPs = append(cpIPs, addrs(n.addrs)...)
	}
	files, changes, err := pki.Ensure(pki.Spec{
		Dir: c.y.pkiDir(), KubeconfigDir: c.y.kubeconfigDir(), AdminKubeconfig: c.l.Kubeconfig(),
		ClusterName: c.cfg.ClusterName, AdminContext: c.cfg.ClusterName,
		APIServerNames: cpNames, APIServerIPs: cpIPs,
		ServicePrefixes: c.cfg.ServiceCIDRs,
		LocalServer:     c.cfg.LocalServer(), Server: c.cfg.Server(),
		Nodes: names,
	})
	if err != nil {
		return fmt.Errorf("failed to write the lab's certificates: %w", err)
	}
	c.files, c.cfg.PKI = files, files
	c.replaced = map[string]bool{}
	for _, ch := range changes {
		c.l.Changed("%s", ch.Message)
		c.replaced[ch.Path] = ch.Replaced
	}
	return nil
}
