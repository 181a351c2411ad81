package cli

import (
	"context"
	"fmt"
	"net/netip"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/controllers/kubevip"
	"github.com/lblab/lblab/internal/controllers/metallb"
	"github.com/lblab/lblab/internal/controllers/openelb"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// controllerActions install the bundled controller (CRDs, RBAC and the
// topology's pools and peers) and start it and its speakers through the
// backend. There are none with --controller none: another controller
// (e.g. MetalLB) can then be installed by hand.
func controllerActions(b lab.Backend, l *lab.Lab) []lab.Action {
	switch l.Topology.Controller.Type {
	case topology.ControllerMetalLB:
		return withClasses(b, l, metalLBActions(b, l))
	case topology.ControllerKubeVIP:
		return kubeVIPActions(b, l)
	case topology.ControllerOpenELB:
		return openELBActions(b, l)
	case topology.ControllerLBLab:
	case topology.ControllerNone:
		if l.Topology.ExternalLB == nil {
			return nil
		}
		return []lab.Action{{
			Name: "Starting the external load balancer's controller and HAProxy on lb",
			Run:  func(ctx context.Context, l *lab.Lab) error { return b.Deploy(ctx, l) },
		}}
	default:
		return nil
	}
	return []lab.Action{
		lblabInstall(b, "Installing the controller's CRDs, RBAC, pools and peers", func(l *lab.Lab) *topology.Topology { return l.Topology }),
		{
			Name: "Starting the LoadBalancer controller and speakers",
			Run:  func(ctx context.Context, l *lab.Lab) error { return b.Deploy(ctx, l) },
		},
	}
}

// lblabInstall installs lblab's CRDs, RBAC, and the pools and peers of the
// topology as the lblab controller of the lab sees it.
func lblabInstall(b lab.Backend, name string, view func(*lab.Lab) *topology.Topology) lab.Action {
	return lab.Action{
		Name: name,
		Run: func(ctx context.Context, l *lab.Lab) error {
			cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
			if err != nil {
				return fmt.Errorf("failed to load the lab's kubeconfig: %w", err)
			}
			cfg.QPS, cfg.Burst = 100, 200
			tor, err := torAddrs(ctx, b, l.Name)
			if err != nil {
				return err
			}
			return install.Install(ctx, cfg, view(l), tor)
		},
	}
}

// withClasses puts the install of each class controller (lblab, as
// validated) before the last action, the backend's Deploy, which starts
// every controller of the lab.
func withClasses(b lab.Backend, l *lab.Lab, acts []lab.Action) []lab.Action {
	var out []lab.Action
	for _, cl := range l.Topology.Controller.Classes {
		class := cl.LoadBalancerClass
		out = append(out, lblabInstall(b, "Installing lblab's CRDs, RBAC, pools and peers (the controller of class "+class+")",
			func(l *lab.Lab) *topology.Topology {
				t, _ := l.Topology.ForClass(class)
				return t
			}))
	}
	if len(out) == 0 || len(acts) == 0 {
		return acts
	}
	last := len(acts) - 1
	deploy := acts[last]
	for _, cl := range l.Topology.Controller.Classes {
		deploy.Name += ", then lblab's (class " + cl.LoadBalancerClass + ")"
	}
	return append(append(acts[:last:last], out...), deploy)
}

// metalLBActions build (once) and install MetalLB at the pinned version:
// its CRDs and RBAC from its module, the topology's pools and peers, then
// its controller and speakers through the backend.
func metalLBActions(b lab.Backend, l *lab.Lab) []lab.Action {
	return []lab.Action{
		{
			Name: "Installing MetalLB " + components.MetalLBVersion + "'s CRDs and RBAC (its own manifests), pools and peers",
			Run: func(ctx context.Context, l *lab.Lab) error {
				return installOther(ctx, b, l, "MetalLB", "metallb", "go.universe.tf/metallb", metallb.Install,
					components.MetalLBController, components.MetalLBSpeaker)
			},
		},
		{
			Name: "Starting MetalLB's controller and speakers",
			Run:  func(ctx context.Context, l *lab.Lab) error { return b.Deploy(ctx, l) },
		},
	}
}

// kubeVIPActions build (once) and install kube-vip and its cloud provider
// at their pinned versions: their RBAC from upstream, the cloud
// provider's ConfigMap from the topology's pools, then the processes
// through the backend.
func kubeVIPActions(b lab.Backend, l *lab.Lab) []lab.Action {
	return []lab.Action{
		{
			Name: "Installing kube-vip " + components.KubeVIPVersion + " and kube-vip-cloud-provider " +
				components.KubeVIPCloudProviderVersion + ": their RBAC, the cloud provider's address ranges",
			Run: func(ctx context.Context, l *lab.Lab) error {
				o := components.Options{Log: l.Log}
				bins, err := components.ResolveControllers(ctx, o, l.Options.ControllerBinDir, components.KubeVIP, components.KubeVIPCloudProvider)
				if err != nil {
					return err
				}
				src, err := components.Source(ctx, o, "kube-vip-cloud-provider", "github.com/kube-vip/kube-vip-cloud-provider")
				if err != nil {
					return err
				}
				cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
				if err != nil {
					return fmt.Errorf("failed to load the lab's kubeconfig: %w", err)
				}
				notes, err := kubevip.Install(ctx, cfg, l.Topology, bins.Path(components.KubeVIP), src)
				for _, n := range notes {
					l.Log.Infof("kube-vip: %s", n)
				}
				return err
			},
		},
		{
			Name: "Starting kube-vip-cloud-provider and kube-vip on every node",
			Run:  func(ctx context.Context, l *lab.Lab) error { return b.Deploy(ctx, l) },
		},
	}
}

// openELBActions build (once) and install OpenELB at the pinned version:
// its CRDs and RBAC from its module, the topology's Eips, BgpConf and
// BgpPeer, then a manager on every node through the backend.
func openELBActions(b lab.Backend, l *lab.Lab) []lab.Action {
	return []lab.Action{
		{
			Name: "Installing OpenELB " + components.OpenELBVersion + "'s CRDs and RBAC (its own manifests), Eips and BGP peer",
			Run: func(ctx context.Context, l *lab.Lab) error {
				return installOther(ctx, b, l, "OpenELB", "openelb", "github.com/openelb/openelb", openelb.Install,
					components.OpenELBManager)
			},
		},
		{
			Name: "Starting an OpenELB manager on every node",
			Run:  func(ctx context.Context, l *lab.Lab) error { return b.Deploy(ctx, l) },
		},
	}
}

// torAddrs returns the TOR's addresses on the nodes' network as the
// backend laid it out, the BGPPeers' addresses. An error is returned, not
// guessed around: on kind, the subnet's first address is Docker's gateway.
func torAddrs(ctx context.Context, b lab.Backend, name string) ([]netip.Addr, error) {
	nodes, err := b.Nodes(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("failed to find the TOR's addresses for the BGPPeers: %w", err)
	}
	for _, n := range nodes {
		if n.Role == lab.RoleTOR && len(n.Addrs) > 0 {
			return n.Addrs, nil
		}
	}
	return nil, fmt.Errorf("lab %q has no TOR with an address to peer with", name)
}

// installOther builds (once, for netns labs) a controller's binaries, finds its module
// (path, in tools module module) for its manifests, and installs it with
// install against the lab's API server and TOR, logging install's notes.
func installOther(ctx context.Context, b lab.Backend, l *lab.Lab, name, module, path string,
	install func(context.Context, *rest.Config, *topology.Topology, []netip.Addr, string) ([]string, error), bins ...string) error {
	o := components.Options{Log: l.Log}
	if b.Name() == "netns" { // kind runs the upstream images, not these builds
		if _, err := components.ResolveControllers(ctx, o, l.Options.ControllerBinDir, bins...); err != nil {
			return err
		}
	}
	src, err := components.Source(ctx, o, module, path)
	if err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
	if err != nil {
		return fmt.Errorf("failed to load the lab's kubeconfig: %w", err)
	}
	tor, err := torAddrs(ctx, b, l.Name)
	if err != nil {
		return err
	}
	notes, err := install(ctx, cfg, l.Topology, tor, src)
	for _, n := range notes {
		l.Log.Infof("%s: %s", name, n)
	}
	return err
}
