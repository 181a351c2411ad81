package scenarios

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/lblab/lblab/internal/topology"
)

// Status is a check's verdict.
type Status string

// Verdicts.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped" // the check does not apply to this lab
)

// Outcome is one observation judged: the verdict, a one-line summary of
// the evidence, the reason when it failed, and the evidence itself.
type Outcome struct {
	Status   Status `json:"status"`
	Summary  string `json:"summary"`
	Reason   string `json:"reason,omitempty"`
	Evidence any    `json:"evidence,omitempty"`
}

func pass(evidence any, format string, args ...any) Outcome {
	return Outcome{Status: Passed, Summary: fmt.Sprintf(format, args...), Evidence: evidence}
}

func fail(evidence any, format string, args ...any) Outcome {
	msg := fmt.Sprintf(format, args...)
	return Outcome{Status: Failed, Summary: msg, Reason: msg, Evidence: evidence}
}

func skip(format string, args ...any) Outcome {
	return Outcome{Status: Skipped, Summary: fmt.Sprintf(format, args...)}
}

// errOutcome is a failed observation (a command or API call that failed).
func errOutcome(err error) Outcome {
	return Outcome{Status: Failed, Summary: err.Error(), Reason: err.Error()}
}

// Result is one check's outcome as verify reports it.
type Result struct {
	Name     string        `json:"name"`
	Outcome                // status, summary, reason, evidence
	Duration time.Duration `json:"duration"`
	Attempts int           `json:"attempts"`
}

// Check is one named scenario.
type Check struct {
	Name        string
	Description string
	// Mutates is true for checks that change the lab; they run one at a
	// time after the read-only ones.
	Mutates bool
	// Timeout overrides Options.Timeout for this check. It is the budget
	// on a lab of netns nodes; labs of user-mode Linux nodes stretch it
	// (see budget).
	Timeout time.Duration
	// Run observes and judges until it passes or ctx ends; attempt counts
	// the observations made.
	Run func(ctx context.Context, env Env, attempt *int) Outcome
}

// Options tune a verify run.
type Options struct {
	// Timeout is each check's deadline (default 20 s).
	Timeout time.Duration
	// Interval is the pause between observations (default 250 ms).
	Interval time.Duration
	// Requests is how many requests reachability sends per source and
	// LB IP:port (default 30).
	Requests int
	// OnResult, if set, is called as each check finishes.
	OnResult func(Result)
}

func (o *Options) defaults() {
	if o.Timeout == 0 {
		o.Timeout = 20 * time.Second
	}
	if o.Interval == 0 {
		o.Interval = 250 * time.Millisecond
	}
	if o.Requests == 0 {
		o.Requests = 30
	}
}

type optsKey struct{}

// opts returns the run's options from ctx.
func opts(ctx context.Context) Options {
	o, _ := ctx.Value(optsKey{}).(Options)
	o.defaults()
	return o
}

// Run runs checks against env: the read-only ones concurrently, then the
// mutating ones in order. Results come back in the order of checks.
func Run(ctx context.Context, env Env, checks []Check, o Options) []Result {
	o.defaults()
	ctx = context.WithValue(ctx, optsKey{}, o)
	results := make([]Result, len(checks))
	var wg sync.WaitGroup
	var mu sync.Mutex
	report := func(i int, r Result) {
		results[i] = r
		if o.OnResult != nil {
			mu.Lock()
			o.OnResult(r)
			mu.Unlock()
		}
	}
	for i, c := range checks {
		if c.Mutates {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			report(i, runOne(ctx, env, c, o))
		}()
	}
	wg.Wait()
	for i, c := range checks {
		if c.Mutates {
			report(i, runOne(ctx, env, c, o))
		}
	}
	return results
}

// umlSlowdown stretches the budgets checks set themselves on labs whose
// workers are user-mode Linux guests. Each guest is one CPU shared with
// its peers, every process it starts costs tens of milliseconds, and
// kube-proxy's ipvs proxier starts dozens per sync: with three guests on
// two cores one sync takes about 10 s
// (kubeproxy_sync_proxy_rules_duration_seconds), and a new Service's
// source-range filter is in place two syncs, some 22 s, after its route.
// The evidence reports those durations; the budget only keeps a slower
// machine from failing a lab that works.
const umlSlowdown = 3

// budget is check c's deadline: the user's --timeout unless the check sets
// its own, which grows by umlSlowdown on user-mode Linux nodes.
func budget(env Env, c Check, o Options) time.Duration {
	if c.Timeout == 0 {
		return o.Timeout
	}
	if env != nil && env.Topology() != nil && env.Topology().NodeKernel == topology.NodeKernelUML {
		return c.Timeout * umlSlowdown
	}
	return c.Timeout
}

func runOne(ctx context.Context, env Env, c Check, o Options) Result {
	cctx, cancel := context.WithTimeout(ctx, budget(env, c, o))
	defer cancel()
	start := time.Now()
	attempts := 0
	out := func() (out Outcome) {
		defer func() {
			if p := recover(); p != nil {
				out = fail(nil, "check panicked: %v", p)
			}
		}()
		return c.Run(cctx, env, &attempts)
	}()
	if out.Status == "" {
		out.Status = Failed
	}
	return Result{Name: c.Name, Outcome: out, Duration: time.Since(start).Round(time.Millisecond), Attempts: attempts}
}

// deadlineNear reports whether ctx has ended, or ends too soon for an
// observation to have finished.
func deadlineNear(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < 100*time.Millisecond
}

// poll observes with fn every Options.Interval until it passes or is
// skipped, or ctx ends; it returns the last outcome. A failure then says it
// held until the deadline.
func poll(ctx context.Context, attempt *int, fn func(ctx context.Context) Outcome) Outcome {
	var last Outcome
	err := wait.PollUntilContextCancel(ctx, opts(ctx).Interval, true, func(ctx context.Context) (bool, error) {
		*attempt++
		out := fn(ctx)
		if deadlineNear(ctx) && last.Status != "" {
			// The deadline cut this observation short; the previous one
			// says more than "context deadline exceeded" (or client-go's
			// rate limiter refusing to wait past it).
			out = last
		}
		last = out
		return last.Status != Failed, nil
	})
	if err != nil && last.Reason != "" {
		last.Reason += fmt.Sprintf(" (still so after %d attempts)", *attempt)
	}
	return last
}
