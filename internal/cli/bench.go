package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/bench"
	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

type benchFlags struct {
	controllers      []string
	services         string
	latency          int
	topology         string
	name             string
	output           string
	plot             string
	parallel         int
	churnWait        time.Duration
	churnStall       time.Duration
	k8sBinDir        string
	controllerBinDir string
}

// benchControllers are the controllers the bench can measure.
var benchControllers = []string{"lblab", "metallb", "kube-vip", "openelb"}

func newBenchCommand(g *globals) *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure LoadBalancer controllers side by side on the same lab",
		Long: `Bring up the same lab once per controller, back to back (netns backend, no
workloads), and measure each the same way: Services created one at a time
(create → IP in the status, → first BGP UPDATE on the TOR's wire, → an
UPDATE from every eligible speaker, → every eligible node a next hop of the
TOR's kernel route; delete → first withdrawal, → route gone), then a churn
at each --services size (creates as fast as the API server takes them:
when the last route is in the FIB after the last create, and gone after
the last delete), and the memory of the controller's processes with all
of a churn's Services up. The report has a column per controller and its
ratio to the first. Needs root and tcpdump.`,
		Example: `  lblab bench
  lblab bench --controller lblab,metallb,kube-vip --services 100,1000 --plot bench.svg
  lblab bench --controller metallb --services 1000 -o json > metallb.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.controllers, "controller", []string{"lblab", "metallb"}, "controllers to measure, in order; ratios are against the first: "+strings.Join(benchControllers, ", "))
	fl.StringVar(&f.services, "services", "1000", "churn sizes, comma-separated (\"\" for none)")
	fl.IntVar(&f.latency, "latency", 100, "Services created one at a time for the latency distributions")
	fl.StringVarP(&f.topology, "topology", "t", topology.DefaultName, "topology file, or the name of a bundled topology (BGP, IPv4 or dual-stack)")
	fl.StringVar(&f.name, "name", "bench", "name of the lab each controller gets in turn (it must not exist)")
	fl.StringVarP(&f.output, "output", "o", "table", "table or json")
	fl.StringVar(&f.plot, "plot", "", "also draw the create → FIB CDF and the churn curves into this .svg or .png file")
	fl.IntVar(&f.parallel, "parallel", 8, "API clients creating and deleting in a churn")
	fl.DurationVar(&f.churnWait, "churn-wait", 3*time.Minute, "how long a churn waits for every status and every route")
	fl.DurationVar(&f.churnStall, "churn-stall", bench.DefaultChurnStall, "end a churn's wait early once its count has not moved for this long")
	fl.StringVar(&f.k8sBinDir, "k8s-bin-dir", os.Getenv("LBLAB_K8S_BIN_DIR"), "directory of prebuilt Kubernetes binaries (env LBLAB_K8S_BIN_DIR)")
	fl.StringVar(&f.controllerBinDir, "controller-bin-dir", os.Getenv("LBLAB_CONTROLLER_BIN_DIR"), "directory of prebuilt controller binaries (env LBLAB_CONTROLLER_BIN_DIR)")
	return cmd
}

// benchPlan checks the flags and every controller's topology before any
// lab is made, and returns the topologies and churn sizes.
func benchPlan(f *benchFlags) ([]*topology.Topology, []int, error) {
	var sizes []int
	for _, s := range strings.Split(f.services, ",") {
		if strings.TrimSpace(f.services) == "" {
			break // no churn
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return nil, nil, fmt.Errorf("--services %q: want positive Service counts separated by commas, e.g. 100,1000", f.services)
		}
		sizes = append(sizes, n)
	}
	if f.latency < 0 {
		return nil, nil, fmt.Errorf("--latency %d: want 0 or more", f.latency)
	}
	if f.output != "table" && f.output != "json" {
		return nil, nil, fmt.Errorf("-o %q: want table or json", f.output)
	}
	if ext := strings.ToLower(filepath.Ext(f.plot)); f.plot != "" && ext != ".svg" && ext != ".png" {
		return nil, nil, fmt.Errorf("--plot %s: the file must end in .svg or .png", f.plot)
	}
	if len(f.controllers) == 0 {
		return nil, nil, fmt.Errorf("--controller: name at least one of %s", strings.Join(benchControllers, ", "))
	}
	var ts []*topology.Topology
	for i, c := range f.controllers {
		if !slices.Contains(benchControllers, c) {
			return nil, nil, fmt.Errorf("--controller %q: the bench measures %s", c, strings.Join(benchControllers, ", "))
		}
		if slices.Contains(f.controllers[:i], c) {
			return nil, nil, fmt.Errorf("--controller names %s twice", c)
		}
		uf := &upFlags{topology: f.topology, name: f.name, controller: c}
		t, _, err := loadForUp(uf, func(n string) bool { return n == "controller" || n == "topology" })
		if err != nil {
			return nil, nil, err
		}
		if t.Controller.Mode == topology.ModeL2 {
			return nil, nil, fmt.Errorf("-t %s: the bench measures BGP routes on the TOR; pick a BGP topology such as bgp-ecmp", f.topology)
		}
		ts = append(ts, t)
	}
	return ts, sizes, nil
}

func runBench(ctx context.Context, g *globals, f *benchFlags) error {
	ts, sizes, err := benchPlan(f)
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("lblab bench brings up labs and watches the TOR's namespace: run it as root")
	}
	if _, err := lab.LoadState(f.name); err == nil {
		return fmt.Errorf("lab %q exists: the bench brings up a lab of its own for each controller; pass --name, or delete it with lblab down --name %s", f.name, f.name)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A controller that fails is reported with what was measured, and
	// the next one still runs (unless interrupted); the exit code says so.
	var (
		results []*bench.Result
		errs    []error
	)
	for _, t := range ts {
		res, err := benchOne(ctx, g, f, t, sizes)
		if err != nil {
			errs = append(errs, fmt.Errorf("bench of %s: %w", t.Controller.Type, err))
			if res == nil {
				res = &bench.Result{Controller: string(t.Controller.Type), Version: controllers.Describe(t.Controller.Type)}
			}
			res.Notes = append(res.Notes, "incomplete: "+err.Error())
		}
		results = append(results, res)
		if ctx.Err() != nil {
			break
		}
	}
	if f.plot != "" {
		if err := bench.Plot(f.plot, results); err != nil {
			return err
		}
		g.logger().Infof("Drew %s", f.plot)
	}
	if f.output == "json" {
		err = bench.WriteJSON(g.stdout, bench.Report{Machine: machine(), Results: results})
	} else {
		fmt.Fprintf(g.stdout, "lblab bench on %s, topology %s, %d Services one at a time, churn %s\n\n", machine(), f.topology, f.latency, f.services)
		err = bench.WriteTable(g.stdout, results)
	}
	return errors.Join(append(errs, err)...)
}

// benchOne brings up t's lab, measures its controller, and deletes the
// lab, also when the bench fails or is interrupted.
func benchOne(ctx context.Context, g *globals, f *benchFlags, t *topology.Topology, sizes []int) (*bench.Result, error) {
	log := g.logger()
	b, err := backendByName("netns")
	if err != nil {
		return nil, err
	}
	c := string(t.Controller.Type)
	l := lab.New(t, lab.Options{Source: f.topology, NoWorkloads: true, K8sBinDir: f.k8sBinDir, ControllerBinDir: f.controllerBinDir}, log)
	log.Infof("Bringing up lab %q with %s ...", t.Name, controllers.Describe(t.Controller.Type))
	defer func() {
		if err := lab.Down(context.WithoutCancel(ctx), b, t.Name); err != nil {
			log.Warnf("failed to delete lab %q: %v", t.Name, err)
		}
	}()
	start := time.Now()
	if _, err := lab.Up(ctx, b, l, upActions(b, l)...); err != nil {
		return nil, err
	}
	log.Infof("Lab %q is up in %s; measuring %s", t.Name, time.Since(start).Round(time.Millisecond), c)
	res, err := bench.Run(ctx, bench.Options{Lab: t.Name, Controller: c, Latency: f.latency, Churn: sizes,
		Parallel: f.parallel, ChurnWait: f.churnWait, ChurnStall: f.churnStall, Progress: g.stderr})
	if res != nil {
		res.Version = controllers.Describe(t.Controller.Type)
		res.Elapsed = bench.Duration(time.Since(start))
	}
	return res, err
}

// machine describes where the figures come from.
func machine() string {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	load, _ := os.ReadFile("/proc/loadavg")
	return fmt.Sprintf("%d cores, kernel %s, load %s", runtime.NumCPU(), strings.TrimSpace(string(kernel)),
		strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
}
