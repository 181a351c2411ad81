package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/lblab/lblab/controller/externallb"
	"github.com/lblab/lblab/internal/haproxy"
)

type lbControllerFlags struct {
	kubeconfig string
	pools      []string
	opts       externallb.Options
}

// newLBControllerCommand runs the external-lb topology's LoadBalancer
// controller on the lb host: it allocates LB IPs for the Services of its
// class, puts them on --device and forwards them to the nodes' NodePorts
// with a child HAProxy.
func newLBControllerCommand(g *globals) *cobra.Command {
	cmd, _ := lbControllerCommand(g)
	return cmd
}

// lbControllerCommand returns the command and the flags it fills.
func lbControllerCommand(g *globals) (*cobra.Command, *lbControllerFlags) {
	f := &lbControllerFlags{opts: externallb.DefaultOptions()}
	o := &f.opts
	cmd := &cobra.Command{
		Use:    "lb-controller",
		Short:  "Run the external load balancer's controller on the lb host (started by lblab up)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := f.options()
			if err != nil {
				return err
			}
			return runLBController(cmd.Context(), g, f.kubeconfig, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (default: in-cluster)")
	fl.StringVar(&o.Class, "class", o.Class, "spec.loadBalancerClass of the Services to handle")
	fl.StringArrayVar(&f.pools, "pool", nil, "range of LB IPs: a CIDR or an a-b range, IPv4 or IPv6 (repeat for more)")
	fl.StringVar(&o.Device, "device", o.Device, "interface of the lb host the LB IPs are added to")
	fl.StringVar(&o.Dir, "dir", o.Dir, "HAProxy's runtime directory (haproxy.cfg, sockets, log)")
	fl.StringVar(&o.HAProxy, "haproxy", o.HAProxy, "the haproxy binary")
	fl.DurationVar(&o.Check.Interval, "check-interval", o.Check.Interval, "interval of HAProxy's health checks of the nodes")
	fl.IntVar(&o.Check.Fall, "check-fall", o.Check.Fall, "failed checks in a row that take a node out")
	fl.IntVar(&o.Check.Rise, "check-rise", o.Check.Rise, "passed checks in a row that bring a node back")
	fl.StringVar(&o.MetricsAddr, "metrics-addr", "", `address of /metrics and /healthz, e.g. ":7473" ("" to disable)`)
	return cmd, f
}

// options checks the flags and returns the controller's options; every
// error names its flag.
func (f *lbControllerFlags) options() (externallb.Options, error) {
	o := f.opts
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.Class == "" {
		add("--class is empty; give the spec.loadBalancerClass to handle, e.g. %s", externallb.DefaultClass)
	} else if msgs := validation.IsQualifiedName(o.Class); len(msgs) > 0 {
		add("--class %q is not a qualified name: %s", o.Class, strings.Join(msgs, "; "))
	}
	if len(f.pools) == 0 {
		add("--pool is missing; give at least one range of LB IPs, e.g. --pool 198.51.100.0/28 --pool 2001:db8:100::/124")
	} else if pools, err := externallb.ParsePools(f.pools); err != nil {
		add("--pool: %v", err)
	} else {
		o.Pools = pools
	}
	if o.Device == "" {
		add("--device is empty; give the lb host's interface for the LB IPs, e.g. eth0")
	}
	if !filepath.IsAbs(o.Dir) {
		add("--dir %q must be an absolute path", o.Dir)
	}
	if o.HAProxy == "" {
		add("--haproxy is empty; give the haproxy binary, e.g. %s", haproxy.DefaultBinary)
	} else if fi, err := os.Stat(o.HAProxy); err != nil || fi.IsDir() {
		add("--haproxy %s: no such program (install haproxy, or give its path)", o.HAProxy)
	}
	if o.Check.Interval < time.Millisecond || o.Check.Interval%time.Millisecond != 0 {
		add("--check-interval %s must be a whole number of milliseconds, 1ms or more", o.Check.Interval)
	}
	if o.Check.Fall < 1 {
		add("--check-fall %d must be 1 or more", o.Check.Fall)
	}
	if o.Check.Rise < 1 {
		add("--check-rise %d must be 1 or more", o.Check.Rise)
	}
	if o.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(o.MetricsAddr); err != nil {
			add("--metrics-addr %q is not host:port (\":7473\" listens on every address)", o.MetricsAddr)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return o, err
	}
	return o, o.Validate()
}

func runLBController(ctx context.Context, g *globals, kubeconfig string, opts externallb.Options) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := restConfig(kubeconfig)
	if err != nil {
		return err
	}
	cfg.UserAgent = externallb.Component
	log := slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: logLevel(g.verbosity)}))
	start := time.Now()
	err = externallb.Main(ctx, cfg, opts, log)
	log.Info("stopped", "after", time.Since(start).Round(time.Millisecond), "err", err)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// newProbeHAProxyCommand prints HAProxy's show stat as JSON: run in the
// lb host's namespace by verify's checks and `lblab inspect lb`.
func newProbeHAProxyCommand(g *globals) *cobra.Command {
	socket := filepath.Join(externallb.DefaultOptions().Dir, haproxy.StatsSocket)
	cmd := &cobra.Command{
		Use:   "haproxy",
		Short: "Print HAProxy's frontends, backends and servers (show stat) as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stats, err := haproxy.ShowStat(cmd.Context(), socket)
			if err != nil {
				return err
			}
			if stats == nil {
				stats = []haproxy.Stat{}
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(stats)
		},
	}
	cmd.Flags().StringVar(&socket, "socket", socket, "HAProxy's stats socket (the runtime API)")
	return cmd
}
