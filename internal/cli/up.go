package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/controllers/kubevip"
	"github.com/lblab/lblab/internal/controllers/metallb"
	"github.com/lblab/lblab/internal/controllers/openelb"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/internal/workloads"
	"github.com/lblab/lblab/scenarios"
)

type upFlags struct {
	topology    string
	name        string
	backend     string
	dataplane   string
	nodeKernel  string
	controller  string
	fabricOnly  bool
	noWorkloads bool
	k8sBinDir   string
	// controllerBinDir holds prebuilt binaries of --controller.
	controllerBinDir string
	retain           bool
	bundleDir        string
}

func newUpCommand(g *globals) *cobra.Command {
	f := &upFlags{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Bring up a lab, or converge an existing one",
		Long: `Bring up a lab from a topology: namespaces (or kind nodes), the FRR TOR, the
client host, Kubernetes, the data plane, the LoadBalancer controller and the
workloads. On an existing lab, up converges: it repairs what is missing and
says what it changed.`,
		Example: `  lblab up
  lblab up -t bgp-ecmp-dual --dataplane nftables
  lblab up --dataplane ipvs --name ipvs     # workers on user-mode Linux when this kernel has no IPVS
  lblab up -t ./my-topology.yaml --name lab2
  lblab up --fabric-only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runUp(cmd.Context(), g, f, cmd) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.topology, "topology", "t", topology.DefaultName, "topology file, or the name of a bundled topology")
	fl.StringVar(&f.name, "name", "", "lab name (default: the topology's name)")
	fl.StringVar(&f.backend, "backend", "netns", "lab backend: netns or kind")
	fl.StringVar(&f.dataplane, "dataplane", "", "iptables, ipvs, nftables or ebpf (default: the topology's)")
	fl.StringVar(&f.nodeKernel, "node-kernel", "", "host or uml: the kernel the workers run on (default: the topology's; when empty, uml for ipvs on a kernel without IPVS)")
	fl.StringVar(&f.controller, "controller", "", "LoadBalancer controller: lblab, metallb (MetalLB "+components.MetalLBVersion+", native BGP), kube-vip ("+components.KubeVIPVersion+", BGP), openelb (OpenELB "+components.OpenELBVersion+", BGP) or none (default: the topology's)")
	fl.BoolVar(&f.fabricOnly, "fabric-only", false, "bring up only the network: namespaces, bridge, TOR and client")
	fl.BoolVar(&f.noWorkloads, "no-workloads", false, "do not create the topology's workloads")
	fl.StringVar(&f.k8sBinDir, "k8s-bin-dir", os.Getenv("LBLAB_K8S_BIN_DIR"), "directory of prebuilt Kubernetes binaries (env LBLAB_K8S_BIN_DIR)")
	fl.StringVar(&f.controllerBinDir, "controller-bin-dir", os.Getenv("LBLAB_CONTROLLER_BIN_DIR"), "directory of prebuilt binaries of the --controller (metallb: metallb-controller, metallb-speaker; kube-vip: kube-vip, kube-vip-cloud-provider; openelb: openelb-manager; env LBLAB_CONTROLLER_BIN_DIR)")
	fl.BoolVar(&f.retain, "retain", false, "keep a lab whose first up failed, for debugging")
	fl.StringVar(&f.bundleDir, "bundle-dir", "", "where a failed up writes its diagnostics bundle (default: a new directory under $TMPDIR/lblab-diagnostics)")
	return cmd
}

// loadForUp loads the topology and applies the flags that override it,
// and returns it with the source to record (what -t named). Without -t, an
// existing lab named by --name keeps the topology it was brought up with,
// and its source, so `up --name X` converges X instead of reshaping it.
func loadForUp(f *upFlags, changed func(string) bool) (*topology.Topology, string, error) {
	t, source := (*topology.Topology)(nil), f.topology
	if !changed("topology") && f.name != "" {
		if saved, err := lab.LoadTopology(f.name); err == nil {
			t = saved
			if st, err := lab.LoadState(f.name); err == nil {
				source = st.Source
			}
		}
	}
	if t == nil {
		var err error
		if t, err = topology.Load(f.topology); err != nil {
			return nil, "", err
		}
	}
	if f.name != "" {
		t.Name = f.name
	}
	if changed("dataplane") {
		t.Dataplane = topology.Dataplane(f.dataplane)
	}
	if changed("controller") {
		t.Controller.Type = topology.ControllerType(f.controller)
	}
	if changed("node-kernel") {
		t.NodeKernel = topology.NodeKernel(f.nodeKernel)
	}
	if err := topology.Validate(t); err != nil {
		return nil, "", fmt.Errorf("%w\n(--name, --dataplane, --node-kernel and --controller override the topology's name, dataplane, nodeKernel and controller.type)", err)
	}
	check := map[topology.ControllerType]func(*topology.Topology) error{
		topology.ControllerMetalLB: metallb.Check, topology.ControllerKubeVIP: kubevip.Check,
		topology.ControllerOpenELB: openelb.Check}[t.Controller.Type]
	if check != nil {
		if err := check(t); err != nil {
			return nil, "", fmt.Errorf("--controller %s: %w", t.Controller.Type, err)
		}
	}
	return t, source, nil
}

func runUp(ctx context.Context, g *globals, f *upFlags, cmd *cobra.Command) error {
	t, source, err := loadForUp(f, cmd.Flags().Changed)
	if err != nil {
		return err
	}
	b, err := backendByName(f.backend)
	if err != nil {
		return err
	}
	// --controller metallb, kube-vip and openelb run on both backends: as
	// processes on netns, from their upstream images and manifests on kind
	// (a path that has not run on a real kind cluster yet). What one of
	// them cannot do (L2, BFD, IPv6, ...) loadForUp has refused already,
	// with the same reasons on both.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := g.logger()
	l := lab.New(t, lab.Options{Source: source, FabricOnly: f.fabricOnly, NoWorkloads: f.noWorkloads,
		K8sBinDir: f.k8sBinDir, ControllerBinDir: f.controllerBinDir, Retain: f.retain, OnFailure: upFailureBundle(g, b, f.bundleDir)}, log)
	log.Infof("Bringing up lab %q (backend %s, dataplane %s) ...", t.Name, b.Name(), t.Dataplane)
	res, err := lab.Up(ctx, b, l, upActions(b, l)...)
	if err != nil {
		return err
	}
	printUpSummary(g, b, l, res)
	return nil
}

// readyWait bounds up's wait for the TOR's routes (the speakers peering
// and announcing: a second or two) and for kube-proxy (or Cilium) to
// program the LoadBalancer IPs (well under a second on netns nodes, 5–20 s
// on user-mode Linux ones).
const readyWait = 2 * time.Minute

// otherReadyWait bounds that wait for a controller other than the bundled
// one, which up does not fail for: what it does is verify's to judge.
const otherReadyWait = 30 * time.Second

func hasLoadBalancer(ws []topology.Workload) bool {
	for _, w := range ws {
		if w.Service != nil && w.Service.Type == "LoadBalancer" {
			return true
		}
	}
	return false
}

// upActions are the steps after the backend has provisioned the cluster.
func upActions(b lab.Backend, l *lab.Lab) []lab.Action {
	actions := controllerActions(b, l)
	// Last: the workloads, on whatever cluster the backend made.
	if ws := l.Topology.Workloads; !l.Options.NoWorkloads && len(ws) > 0 {
		actions = append(actions, lab.Action{
			Name: "Deploying workloads " + workloads.Describe(ws),
			Run:  func(ctx context.Context, l *lab.Lab) error { return workloads.Deploy(ctx, l.Kubeconfig(), ws) },
		})
		// The external load balancer's Services are done when the lb host
		// forwards them to healthy NodePorts.
		if l.Topology.ExternalLB != nil && hasLoadBalancer(ws) {
			actions = append(actions, lab.Action{
				Name: "Waiting for the lb host to forward the LoadBalancer IPs to healthy NodePorts",
				Run: func(ctx context.Context, l *lab.Lab) error {
					env, _, _, err := openLab(ctx, l.Name)
					if err != nil {
						return err
					}
					return scenarios.WaitExternalLB(ctx, env, readyWait)
				},
			})
		}
		// With a controller the LoadBalancer IPs are assigned by now; up is done when traffic to them can flow: routed by the TOR
		// and programmed on every node.
		if l.Topology.Controller.Type != topology.ControllerNone && hasLoadBalancer(ws) {
			what := "the TOR's routes"
			if l.Topology.Controller.Mode == topology.ModeL2 {
				what = "one owner answering ARP/NDP"
			}
			actions = append(actions, lab.Action{
				Name: "Waiting for " + what + " and every node's data plane for the LoadBalancer IPs",
				Run: func(ctx context.Context, l *lab.Lab) error {
					env, _, _, err := openLab(ctx, l.Name)
					if err != nil {
						return err
					}
					if l.Topology.Controller.Type == topology.ControllerLBLab {
						return scenarios.WaitReady(ctx, env, readyWait)
					}
					// Another controller may never route exactly as the
					// checks want (kube-vip announces from excluded
					// nodes): the lab is up, and verify says what is wrong.
					if err := scenarios.WaitReady(ctx, env, otherReadyWait); err != nil {
						l.Log.Warnf("%v; the lab is up: `lblab verify --name %s` judges %s", err, l.Name, controllers.Describe(l.Topology.Controller.Type))
					}
					return nil
				},
			})
		}
	}
	return actions
}

func printUpSummary(g *globals, b lab.Backend, l *lab.Lab, res *lab.Result) {
	if g.quiet {
		return
	}
	w := g.stdout
	switch {
	case res.Existed && len(res.Changes) == 0:
		fmt.Fprintf(w, "Lab %q was already up; nothing to change (%s).\n", l.Name, res.Total.Round(1e6))
	case res.Existed:
		fmt.Fprintf(w, "Lab %q converged in %s. Changed:\n", l.Name, res.Total.Round(1e6))
		for _, c := range res.Changes {
			fmt.Fprintf(w, "  - %s\n", c)
		}
	default:
		fmt.Fprintf(w, "Lab %q is up in %s.\n", l.Name, res.Total.Round(1e6))
	}
	nodes, err := b.Nodes(context.Background(), l.Name)
	if err == nil {
		printNodeTable(w, nodes)
	}
	printTimings(w, res)
	fmt.Fprintf(w, "\nNext:\n  lblab status --name %s\n  lblab exec --name %s tor -- vtysh -c 'show bgp summary'\n", l.Name, l.Name)
	if !l.Options.FabricOnly {
		fmt.Fprintf(w, "  export KUBECONFIG=%s\n  lblab kubectl --name %s -- get nodes,pods -o wide\n  lblab verify --name %s\n",
			l.Kubeconfig(), l.Name, l.Name)
	}
	fmt.Fprintf(w, "  lblab down --name %s\n", l.Name)
}
