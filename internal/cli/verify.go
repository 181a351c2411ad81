package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"

	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/diag"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/report"
	"github.com/lblab/lblab/internal/table"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/scenarios"
)

type verifyFlags struct {
	name      string
	scenarios []string
	list      bool
	output    string
	timeout   time.Duration
	requests  int
	bundleDir string
}

func newVerifyCommand(g *globals) *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that LoadBalancer traffic really works in a lab",
		Long: `verify runs the topology's scenarios against the live lab: BGP sessions, LB IP
allocation, ECMP routes in the TOR's BGP table and kernel, requests from the
TOR and the client, data-plane rules on every node, and (changing the lab and
restoring it) withdraw on delete, externalTrafficPolicy: Local, source ranges
and node failover. Each check retries until its deadline and reports what it
saw. On failure, a diagnostics bundle is written and its path printed.

Exit status: 0 all passed, 1 a check failed, 2 the lab is missing or nothing ran.`,
		Example: `  lblab verify
  lblab verify --scenario ecmp-rib,ecmp-fib -o json
  lblab verify -o junit > verify.xml
  lblab verify -o html > report.html
  lblab verify --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runVerify(cmd.Context(), g, f) },
	}
	cmd.Flags().StringVar(&f.name, "name", "", "lab name (default: the only lab)")
	cmd.Flags().StringSliceVar(&f.scenarios, "scenario", nil, "run only these checks (comma-separated; see --list)")
	cmd.Flags().BoolVar(&f.list, "list", false, "list the checks and exit")
	cmd.Flags().StringVarP(&f.output, "output", "o", "table", "table, json, junit or html (one self-contained page)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 20*time.Second, "deadline of each read-only check (the checks that change the lab have their own)")
	cmd.Flags().IntVar(&f.requests, "requests", 30, "requests per source and LB IP:port in reachability")
	cmd.Flags().StringVar(&f.bundleDir, "bundle-dir", "", "where to write the diagnostics bundle on failure (default: $TMPDIR/lblab-diagnostics/<lab>-<time>)")
	return cmd
}

func runVerify(ctx context.Context, g *globals, f *verifyFlags) error {
	if f.list {
		return listChecks(g, f)
	}
	if !slices.Contains([]string{"table", "json", "junit", "html"}, f.output) {
		return &exitError{code: 2, err: fmt.Errorf("-o %q: want table, json, junit or html", f.output)}
	}
	name, err := resolveName(f.name, "")
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	env, st, b, err := openLab(ctx, name)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return &exitError{code: 2, err: err}
	}
	names := env.Topo.Scenarios
	if len(f.scenarios) > 0 {
		names = f.scenarios
	}
	checks, err := scenarios.Select(names)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if env.Kubeconfig == "" {
		checks = withoutKubernetes(checks)
	}
	log := g.logger()
	if st.Phase != lab.PhaseReady {
		log.Warnf("lab %q is %s, not ready; checks may fail", name, st.Phase)
	}
	ctl := controllers.DescribeLab(env.Topology())
	log.Infof("Verifying lab %q (%s, %s, controller %s): %s", name, st.Backend, st.Dataplane, ctl, strings.Join(names, ", "))
	run := &report.Run{Lab: name, Backend: st.Backend, Dataplane: string(st.Dataplane), Controller: ctl, Started: time.Now()}
	run.Results = scenarios.Run(ctx, env, checks, scenarios.Options{Timeout: f.timeout, Requests: f.requests,
		OnResult: func(r scenarios.Result) {
			mark := map[scenarios.Status]string{scenarios.Passed: "✓", scenarios.Failed: "✗", scenarios.Skipped: "-"}[r.Status]
			log.Infof(" %s %s (%s)", mark, r.Name, r.Duration)
		}})
	run.Duration = time.Since(run.Started)
	run.Count()
	if run.Failed > 0 {
		run.Bundle = writeBundle(ctx, g, f, env, b, run)
	}
	switch f.output {
	case "json":
		err = report.JSON(g.stdout, run)
	case "junit":
		err = report.JUnit(g.stdout, run)
	case "html":
		err = report.HTML(g.stdout, run, htmlOptions(ctx, env, st.Backend))
	default:
		err = report.Table(g.stdout, run)
	}
	if err != nil {
		return err
	}
	switch {
	case run.Failed > 0:
		return &exitError{code: 1, err: fmt.Errorf("%d of %d checks failed", run.Failed, len(run.Results))}
	case run.Passed == 0:
		return &exitError{code: 2, err: errors.New("nothing ran: every check was skipped")}
	}
	return nil
}

// withoutKubernetes keeps bgp-sessions for a fabric-only lab and skips the
// rest, which need a cluster.
func withoutKubernetes(checks []scenarios.Check) []scenarios.Check {
	out := make([]scenarios.Check, 0, len(checks))
	for _, c := range checks {
		if c.Name != topology.ScenarioBGPSessions {
			c.Mutates = false
			c.Run = func(context.Context, scenarios.Env, *int) scenarios.Outcome {
				return scenarios.Outcome{Status: scenarios.Skipped, Summary: "the lab has no Kubernetes cluster (fabric-only)"}
			}
		}
		out = append(out, c)
	}
	return out
}

func listChecks(g *globals, f *verifyFlags) error {
	var inTopo []string
	if name, err := resolveName(f.name, ""); err == nil {
		if t, err := lab.LoadTopology(name); err == nil {
			inTopo = t.Scenarios
		}
	}
	rows := [][]string{}
	for _, c := range scenarios.All() {
		kind := "read-only"
		if c.Mutates {
			kind = "changes the lab"
		}
		row := []string{c.Name, kind, c.Description}
		if inTopo != nil {
			on := "no"
			if slices.Contains(inTopo, c.Name) {
				on = "yes"
			}
			row = append([]string{row[0], on}, row[1:]...)
		}
		rows = append(rows, row)
	}
	headers := []string{"CHECK", "KIND", "WHAT IT PROVES"}
	if inTopo != nil {
		headers = []string{"CHECK", "IN TOPOLOGY", "KIND", "WHAT IT PROVES"}
	}
	return table.Write(g.stdout, headers, rows)
}

// writeBundle writes the diagnostics bundle and returns its path ("" when
// it could not be written; the reason is printed).
func writeBundle(ctx context.Context, g *globals, f *verifyFlags, env *scenarios.LiveEnv, b lab.Backend, run *report.Run) string {
	dir := f.bundleDir
	if dir == "" {
		// Not under the lab's state dir: `lblab down` removes that, and CI
		// runs down right after verify, before it uploads the bundle.
		dir = filepath.Join(os.TempDir(), "lblab-diagnostics", env.LabName+"-"+run.Started.UTC().Format("20060102-150405"))
	}
	var results strings.Builder
	_ = report.JSON(&results, run)
	c := diag.Collector{Hosts: env.HostList, Dataplane: env.Topo.Dataplane, Probe: env.ProbePath, State: lab.StateDir(env.LabName),
		Logs:  func(ctx context.Context, d string) error { return b.Logs(ctx, env.LabName, d) },
		Extra: map[string][]byte{"results.json": []byte(results.String())}}
	if kc, err := env.Kube(); err == nil {
		cfg, _ := env.RESTConfig()
		dyn, _ := dynamic.NewForConfig(cfg)
		c.Kube = diag.KubeObjects(kc, dyn)
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := c.Write(bctx, dir); err != nil {
		fmt.Fprintf(g.stderr, "WARNING: failed to write the diagnostics bundle: %v\n", err)
		return ""
	}
	fmt.Fprintf(g.stderr, "Diagnostics bundle: %s\n", dir)
	return dir
}
