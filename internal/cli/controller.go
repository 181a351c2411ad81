package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/controller"
)

type controllerFlags struct {
	kubeconfig string
	qps        float32
	burst      int
	opts       controller.Options
}

// newControllerCommand runs the bundled LoadBalancer controller: a process
// in the netns lab's control-plane namespace, or the controller Deployment
// on kind.
func newControllerCommand(g *globals) *cobra.Command {
	f := &controllerFlags{opts: controller.DefaultOptions()}
	cmd := &cobra.Command{
		Use:    "controller",
		Short:  "Run the bundled LoadBalancer controller (started by lblab up)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(cmd *cobra.Command, _ []string) error { return runController(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	o := &f.opts
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig (default: in-cluster)")
	fl.StringVar(&o.MetricsAddr, "metrics-addr", o.MetricsAddr, `address of /metrics and /healthz ("" to disable)`)
	fl.BoolVar(&o.HandleClassless, "handle-classless", o.HandleClassless, "also handle LoadBalancer Services without spec.loadBalancerClass")
	fl.IntVar(&o.Workers, "workers", o.Workers, "Services reconciled in parallel")
	fl.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "elect a leader through a Lease in lblab-system")
	fl.StringVar(&o.LeaseName, "lease-name", o.LeaseName, "name of the leader Lease")
	fl.StringVar(&o.Identity, "identity", "", "leader election identity (default: hostname_pid)")
	fl.DurationVar(&o.LeaseDuration, "lease-duration", o.LeaseDuration, "leader Lease duration")
	fl.DurationVar(&o.RenewDeadline, "renew-deadline", o.RenewDeadline, "leader Lease renew deadline")
	fl.DurationVar(&o.RetryPeriod, "retry-period", o.RetryPeriod, "leader election retry period")
	fl.DurationVar(&o.PoolStatusInterval, "pool-status-interval", o.PoolStatusInterval, "most often IPPool status counts are written")
	fl.Float32Var(&f.qps, "kube-api-qps", 1000, "client-side limit of API requests per second")
	fl.IntVar(&f.burst, "kube-api-burst", 2000, "client-side burst of API requests")
	return cmd
}

func runController(ctx context.Context, g *globals, f *controllerFlags) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := restConfig(f.kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = f.qps, f.burst
	cfg.UserAgent = "lblab-controller"
	log := slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: logLevel(g.verbosity)}))
	start := time.Now()
	log.Info("starting lblab controller", "handleClassless", f.opts.HandleClassless, "leaderElect", f.opts.LeaderElect)
	err = controller.Main(ctx, cfg, f.opts, log)
	log.Info("stopped", "after", time.Since(start).Round(time.Millisecond), "err", err)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// restConfig loads a kubeconfig, or the in-cluster config when path is ""
// (the controller and the speakers run in a kind cluster).
func restConfig(path string) (*rest.Config, error) {
	if path == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("failed to load the in-cluster config (pass --kubeconfig outside a cluster): %w", err)
		}
		return cfg, nil
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("failed to load kubeconfig %s: %w", path, err)
	}
	return cfg, nil
}

// logLevel is the level of the in-lab daemons' logs: debug from -v on.
func logLevel(verbosity int) slog.Level {
	if verbosity > 0 {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
