package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/internal/k8s/nodeagent"
	"github.com/lblab/lblab/internal/version"
)

type nodeAgentFlags struct {
	kubeconfig string
	node       string
	lab        string
	role       string
	runDir     string
	masquerade string
	nodeIPs    []string
	labels     []string
	taints     []string
	cniConf    string
	cniBinDirs []string
	cniCache   string
	podCgroup  string
}

// newNodeAgentCommand is the netns backend's kubelet stand-in; the backend
// starts one per node namespace.
func newNodeAgentCommand(g *globals) *cobra.Command {
	f := &nodeAgentFlags{}
	cmd := &cobra.Command{
		Use:    "node-agent",
		Short:  "Run a netns lab node: register it and run its nginx pods (started by lblab up)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(cmd *cobra.Command, _ []string) error { return runNodeAgent(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig with the node's identity (system:node:<name>)")
	fl.StringVar(&f.node, "node", "", "node name")
	fl.StringVar(&f.lab, "lab", "", "lab name (prefix of the pod network namespaces)")
	fl.StringVar(&f.role, "role", nodeagent.RoleWorker, "control-plane or worker")
	fl.StringVar(&f.runDir, "run-dir", "", "directory for pod state, configs and logs")
	fl.StringVar(&f.masquerade, "masquerade", nodeagent.MasqNFTables, "how pod egress is masqueraded: nftables, or iptables on kernels without nf_tables for ip and ip6")
	fl.StringArrayVar(&f.nodeIPs, "node-ip", nil, "node InternalIP, once per family, primary first")
	fl.StringArrayVar(&f.labels, "label", nil, "node label key=value (repeatable)")
	fl.StringArrayVar(&f.taints, "register-with-taint", nil, "taint key[=value]:Effect to register with (repeatable)")
	fl.StringVar(&f.cniConf, "cni-conf", "", "CNI network configuration list (.conflist); when set, its plugins make the pod networks "+
		"and the agent runs no IPAM, routes or masquerading of its own (--masquerade is ignored)")
	fl.StringSliceVar(&f.cniBinDirs, "cni-bin-dir", nil, "directory of the CNI plugins (repeatable, or a comma-separated list); required with --cni-conf")
	fl.StringVar(&f.cniCache, "cni-cache-dir", "", "libcni's cache of CNI results (default <run-dir>/cni)")
	fl.StringVar(&f.podCgroup, "pod-cgroup", "", "cgroup v2 directory every pod process starts in (default: the agent's cgroup)")
	return cmd
}

func runNodeAgent(ctx context.Context, g *globals, f *nodeAgentFlags) error {
	ips, err := nodeagent.ParseNodeIPs(f.nodeIPs)
	if err != nil {
		return err
	}
	labels, err := nodeagent.ParseLabels(f.labels)
	if err != nil {
		return err
	}
	taints, err := nodeagent.ParseTaints(f.taints)
	if err != nil {
		return err
	}
	cfg := nodeagent.Config{Kubeconfig: f.kubeconfig, Node: f.node, Lab: f.lab, Role: f.role,
		NodeIPs: ips, Labels: labels, Taints: taints, RunDir: f.runDir, PodCgroup: f.podCgroup,
		CNI: nodeagent.CNIOptions{Conf: f.cniConf, BinDirs: f.cniBinDirs, CacheDir: f.cniCache}}
	if err := cfg.Validate(); err != nil {
		return err
	}
	rc, err := clientcmd.BuildConfigFromFlags("", f.kubeconfig)
	if err != nil {
		return fmt.Errorf("failed to load --kubeconfig %s: %w", f.kubeconfig, err)
	}
	rc.UserAgent = "lblab-node-agent/" + version.Version
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	rc.QPS, rc.Burst = 50, 100
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("failed to create the API client: %w", err)
	}
	var network nodeagent.Network
	if cfg.CNI.Enabled() {
		network, err = nodeagent.NewCNINetwork(cfg)
	} else {
		network, err = nodeagent.NewLinuxNetwork(f.lab, "", f.masquerade)
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: logLevel(g.verbosity)})).With("node", f.node)
	runtime, err := nodeagent.NewLinuxRuntimeWith(nodeagent.RuntimeOptions{PodCgroup: cfg.PodCgroup, Log: log})
	if err != nil {
		return err
	}
	agent, err := nodeagent.New(cfg, nodeagent.Deps{
		Client:  client,
		Network: network,
		Runtime: runtime,
		Log:     log,
	})
	if err != nil {
		return err
	}
	// SIGTERM stops the agent, not its pods, as with the kubelet.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return agent.Run(ctx)
}
