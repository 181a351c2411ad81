package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker"
	"github.com/lblab/lblab/controller/speaker/bgp"
	"github.com/lblab/lblab/controller/speaker/l2"
	"github.com/lblab/lblab/controller/speaker/l2/announcer"
	"github.com/lblab/lblab/controller/speaker/l2/owner"
)

type speakerFlags struct {
	node           string
	kubeconfig     string
	metricsAddr    string
	gobgpAPI       string
	statusInterval time.Duration
	qps            float32
	burst          int
	pprof          bool
	sourceAddrs    []string
}

// newSpeakerCommand runs one node's BGP speaker: a process in a netns lab
// node's namespace, or the hostNetwork speaker DaemonSet on kind.
func newSpeakerCommand(g *globals) *cobra.Command {
	f := &speakerFlags{}
	cmd := &cobra.Command{
		Use:   "speaker --node NAME [--kubeconfig PATH]",
		Short: "Run a node's BGP speaker (started by lblab up)",
		Long: `Run the BGP speaker of one node: an embedded GoBGP that peers with the
BGPPeers selected for the node and announces the LoadBalancer IPs the node is
eligible for, with next-hop self. GoBGP's gRPC API is served on --gobgp-api,
so the gobgp v4 CLI works inside the node (gobgp neighbor, gobgp global rib).

--bgp-source-address makes the sessions speak from an address of the node's
own (a secondary address on the interface towards the TOR), so that another
speaker on the node, MetalLB's, can peer with the same TOR from the primary
address: the TOR tells its neighbours apart by their address.`,
		Example: `  lblab speaker --node node1 --kubeconfig /run/lblab/bgp-ecmp/speaker-node1.kubeconfig
  lblab speaker --node node1 --bgp-source-address 10.89.1.111 --bgp-source-address fd00:89:1::111
  lblab exec node1 -- gobgp neighbor`,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(cmd *cobra.Command, _ []string) error { return runSpeaker(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.node, "node", os.Getenv("NODE_NAME"), "name of the node this speaker runs on (env NODE_NAME)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig (default: in-cluster)")
	fl.StringVar(&f.metricsAddr, "metrics-addr", ":7473", `address of /metrics and /healthz ("" to disable)`)
	fl.StringVar(&f.gobgpAPI, "gobgp-api", "127.0.0.1:50051", `address of GoBGP's gRPC API, for the gobgp CLI ("" to disable)`)
	fl.DurationVar(&f.statusInterval, "status-interval", time.Second, "most often the node's SpeakerStatus is written")
	fl.Float32Var(&f.qps, "kube-api-qps", 50, "client-side limit of API requests per second")
	fl.IntVar(&f.burst, "kube-api-burst", 100, "client-side burst of API requests")
	fl.BoolVar(&f.pprof, "pprof", false, "also serve Go's /debug/pprof/ on --metrics-addr")
	fl.StringArrayVar(&f.sourceAddrs, "bgp-source-address", nil, "an address of this node (`ADDR`) that BGP sessions speak from; repeat for one IPv4 and one IPv6 address. "+
		"Sessions to a peer of that family bind it as their source address, which is the next hop the peer gets "+
		"(a peer of the other family keeps the kernel's choice); the IPv4 one also becomes the router ID, in place of the node's InternalIP")
	return cmd
}

func runSpeaker(ctx context.Context, g *globals, f *speakerFlags) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.node == "" {
		return errors.New("no node name: pass --node NAME (or set NODE_NAME, e.g. from the downward API)")
	}
	sources, err := parseSourceAddrs(f.sourceAddrs)
	if err != nil {
		return err
	}
	// GoBGP tells peers the host name: make it the node's, so the TOR
	// shows node1, node2, ... and not the machine's name for all of them.
	// When it differs this re-executes the speaker in a UTS namespace.
	hostErr := bgp.UseHostname(f.node)
	cfg, err := restConfig(f.kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = f.qps, f.burst
	cfg.UserAgent = "lblab-speaker/" + f.node
	// Core objects travel as protobuf, like the kubelet's and kube-proxy's:
	// cheaper for the API server to encode and for every speaker to
	// decode. The dynamic client (lblab.dev objects) keeps JSON.
	core := rest.CopyConfig(cfg)
	core.ContentType = "application/vnd.kubernetes.protobuf"
	core.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	kube, err := kubernetes.NewForConfig(core)
	if err != nil {
		return fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	if os.Getenv("GOGC") == "" {
		// A speaker runs on every node and mostly holds its caches, which
		// change slowly: trade a little CPU (about 15% more during a churn
		// of 5,000 Services) for a heap that grows to 1.25x the live data,
		// not 2x. Calico's Felix makes the same trade (GOGC 40).
		debug.SetGCPercent(25)
	}
	log := slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: logLevel(g.verbosity)})).With("node", f.node)
	if hostErr != nil {
		log.Warn("BGP peers see the machine's host name, not the node's", "error", hostErr)
	}
	metrics := speaker.NewMetrics()
	if f.metricsAddr != "" {
		l, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			return fmt.Errorf("failed to listen for metrics on %s (--metrics-addr): %w", f.metricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", metrics.Handler())
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		if f.pprof {
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(l) }()
		defer srv.Close()
	}
	// Takeovers in L2 mode are recorded on the Services, as the
	// controller records allocations (a small correlator cache, as there).
	recorder := record.NewBroadcaster(record.WithContext(ctx), record.WithCorrelatorOptions(record.CorrelatorOptions{LRUCacheSize: 256}))
	recorder.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	defer recorder.Shutdown()
	l2mode := announcer.New(announcer.Config{
		Node: f.node, Client: kube, Dynamic: dyn, ServiceOf: speaker.ServiceOf,
		Interface: l2.InterfaceFor,
		NewResponder: func(ifi *net.Interface, log *slog.Logger) (announcer.Responder, error) {
			return l2.NewResponder(ifi, log)
		},
		Recorder: recorder.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "lblab-speaker", Host: f.node}),
		Lease:    owner.Config{Namespace: v1alpha1.NodeLeaseNamespace, Log: log.With("component", "lease")},
		Log:      log.With("component", "l2"),
	})
	spk, err := speaker.New(speaker.Config{
		Node: f.node, Client: kube, Dynamic: dyn, Log: log, Metrics: metrics, StatusInterval: f.statusInterval, L2: l2mode,
		SourceAddrs: sources,
		StartBGP: func(ctx context.Context, c speaker.BGPConfig) (speaker.Announcer, error) {
			return bgp.Start(ctx, bgp.Config{
				RouterID: c.RouterID, ASN: c.ASN, APIAddress: f.gobgpAPI,
				Logger: log.With("component", "gobgp"), OnSessionChange: c.OnSessionChange,
			})
		},
	})
	if err != nil {
		return err
	}
	log.Info("starting lblab speaker", "gobgpAPI", f.gobgpAPI, "metrics", f.metricsAddr, "bgpSourceAddresses", sources)
	return spk.Run(ctx)
}

// parseSourceAddrs reads the --bgp-source-address values: at most one
// IPv4 and one IPv6 unicast address.
func parseSourceAddrs(vals []string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, v := range vals {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("--bgp-source-address %q is not an IP address: give one IPv4 or IPv6 address of this node, without a prefix length", v)
		}
		out = append(out, a.Unmap())
	}
	if err := speaker.CheckSourceAddrs(out); err != nil {
		return nil, fmt.Errorf("--bgp-source-address: %w", err)
	}
	return out, nil
}
