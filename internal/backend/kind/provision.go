package kind

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// cacheDir holds downloads and builds shared by labs (the Cilium chart, a
// static lblab).
func cacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "lblab")
	}
	return filepath.Join(os.TempDir(), "lblab-cache")
}

// Provision creates (or converges) the kind cluster, then the TOR and the
// client on its network, the data plane, waits until the cluster's network
// is ready, and copies the lblab binary into the nodes.
func (b *backend) Provision(ctx context.Context, l *lab.Lab) error {
	if _, err := b.api(); err != nil {
		return err
	}
	if err := b.ensureCluster(ctx, l); err != nil {
		return err
	}
	subnets, err := b.resolveNetwork(ctx, l)
	if err != nil {
		return err
	}
	tor, err := b.startTOR(ctx, l, subnets)
	if err != nil {
		return err
	}
	if err := b.startClient(ctx, l, tor); err != nil {
		return err
	}
	kc, err := b.kube(l.Kubeconfig())
	if err != nil {
		return err
	}
	if l.Topology.Dataplane == topology.DataplaneEBPF {
		if err := b.installCilium(ctx, l, kc); err != nil {
			return err
		}
	}
	step := l.Log.Start("Waiting for nodes, CNI and " + proxyName(l.Topology.Dataplane))
	err = waitReady(ctx, kc, kindNodeNames(l.Topology), l.Topology.Dataplane, b.timeout, b.pollEvery())
	step.End(err == nil)
	if err != nil {
		return err
	}
	return b.copyBinary(ctx, l)
}

func (b *backend) pollEvery() time.Duration {
	if b.timeout < time.Second {
		return b.timeout / 10
	}
	return time.Second
}

func proxyName(dp topology.Dataplane) string {
	if dp == topology.DataplaneEBPF {
		return "Cilium"
	}
	return "kube-proxy (" + string(dp) + ")"
}

// ensureCluster creates the kind cluster, or keeps a running one made from
// the same config. A cluster whose config changed (e.g. another data plane)
// or that lost nodes is recreated.
func (b *backend) ensureCluster(ctx context.Context, l *lab.Lab) (err error) {
	cfg := kindConfig(l.Topology)
	data, err := marshalConfig(cfg)
	if err != nil {
		return err
	}
	cfgPath := l.Path("kind-config.yaml")
	names, err := b.clusters().List()
	if err != nil {
		return fmt.Errorf("failed to list kind clusters: %w", err)
	}
	if slices.Contains(names, l.Name) {
		old, _ := os.ReadFile(cfgPath)
		running, err := b.runningNodes(ctx, l.Name)
		if err != nil {
			return err
		}
		if bytes.Equal(old, data) && len(running) == len(cfg.Nodes) {
			return nil
		}
		l.Changed("recreated kind cluster %s (its config changed, or %d of %d nodes run)", l.Name, len(running), len(cfg.Nodes))
		if err := b.clusters().Delete(l.Name, l.Kubeconfig()); err != nil {
			return err
		}
	} else {
		l.Changed("created kind cluster %s", l.Name)
	}
	if err := lab.WriteFileAtomic(cfgPath, data, 0o644); err != nil {
		return err
	}
	step := l.Log.Start(fmt.Sprintf("Creating kind cluster %s (%d nodes, %s)", l.Name, len(cfg.Nodes), proxyName(l.Topology.Dataplane)))
	defer func() { step.End(err == nil) }()
	return b.clusters().Create(l.Name, cfg, l.Kubeconfig(), l.Log)
}

// runningNodes lists the cluster's running node containers.
func (b *backend) runningNodes(ctx context.Context, name string) ([]containerInfo, error) {
	all, err := b.docker.List(ctx, map[string]string{kindClusterLabel: name})
	if err != nil {
		return nil, err
	}
	var out []containerInfo
	for _, c := range all {
		if c.Running && c.Labels[kindRoleLabel] != "external-load-balancer" {
			out = append(out, c)
		}
	}
	return out, nil
}

// resolveNetwork checks the kind network kind made or reused, records its
// subnets as the lab's node subnets in the resolved topology, and returns
// those of the lab's families.
func (b *backend) resolveNetwork(ctx context.Context, l *lab.Lab) ([]netip.Prefix, error) {
	all, ok, err := b.docker.Network(ctx, b.network)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("kind created no Docker network %q", b.network)
	}
	if p := networkProblems(l.Topology, b.network, all); len(p) > 0 {
		return nil, fmt.Errorf("the kind network does not fit this lab:\n  - %s", joinLines(p))
	}
	subnets := familySubnets(l.Topology, all)
	n := &l.Topology.Network
	for _, s := range subnets {
		if s.Addr().Is4() {
			n.IPv4Subnet = s.String()
		} else {
			n.IPv6Subnet = s.String()
		}
	}
	topology.SetDefaults(l.Topology) // what depends on the subnets: mode l2's default pool
	if err := lab.SaveTopology(l.Topology); err != nil {
		return nil, fmt.Errorf("failed to save the resolved topology: %w", err)
	}
	return subnets, nil
}

// installCilium renders the pinned Cilium chart with Helm's engine and
// applies it.
func (b *backend) installCilium(ctx context.Context, l *lab.Lab, kc kubeClient) (err error) {
	step := l.Log.Start("Installing Cilium " + ciliumVersion)
	defer func() { step.End(err == nil) }()
	chart, err := b.ciliumChart(ctx)
	if err != nil {
		return err
	}
	l.Log.Debugf(1, "   chart %s sha256 %s (pinned)", ciliumChartURL, ciliumChartSHA256)
	version, err := kc.ServerVersion()
	if err != nil {
		return fmt.Errorf("failed to read the API server's version: %w", err)
	}
	objs, err := renderChart(chart, ciliumValues(l.Topology, kindNodeNames(l.Topology)[controlPlaneIndex(l.Topology)]), "kube-system", version)
	if err != nil {
		return err
	}
	all, byTag := chartImages(objs)
	for _, img := range all {
		note := ""
		if slices.Contains(byTag, img) {
			note = " (by tag only: not pinned by digest)"
		}
		l.Log.Debugf(1, "   image %s%s", img, note)
	}
	return kc.Apply(ctx, objs)
}

func controlPlaneIndex(t *topology.Topology) int {
	for i, n := range t.Nodes.List {
		if n.Role == topology.RoleControlPlane {
			return i
		}
	}
	return 0
}

// nodeBinPath is where the lblab binary lives inside kind nodes, for the
// readers that run in a node (ProbePath): `lblab probe gobgp` for `inspect
// bgp` and the diagnostics bundle on every data plane (kind's node image has
// no gobgp CLI), and `lblab probe ipvs|ipset` on ipvs labs (nor ipvsadm).
const nodeBinPath = "/usr/local/bin/lblab"

// copyBinary puts the static lblab binary into every node, whatever the
// data plane.
func (b *backend) copyBinary(ctx context.Context, l *lab.Lab) (err error) {
	step := l.Log.Start("Copying lblab into the nodes")
	defer func() { step.End(err == nil) }()
	bin, err := b.binary(ctx)
	if err != nil {
		return err
	}
	for _, n := range kindNodeNames(l.Topology) {
		if err := b.docker.CopyFiles(ctx, n, []file{{Path: nodeBinPath, Mode: 0o755, Data: bin}}); err != nil {
			return err
		}
	}
	return nil
}

func joinLines(p []string) string { return strings.Join(p, "\n  - ") }
