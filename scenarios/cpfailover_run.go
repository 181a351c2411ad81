package scenarios

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/lab"
)

// runCPFault runs one fault on node h while the client requests /readyz
// through every VIP, and restores it.
func runCPFault(ctx context.Context, env Env, h lab.Node, fault string, vips []netip.Addr) (run CPFailoverRun) {
	run.Fault, run.Node = fault, h.Name
	stepErr := func(step string, err error) CPFailoverRun {
		run.Step, run.Err = step, err.Error()
		return run
	}
	if _, err := waitVIPRoutes(ctx, env, h, vips, true); err != nil {
		return stepErr("before the fault", err)
	}
	client, ok := host(env, "client")
	if !ok {
		return stepErr("before the fault", fmt.Errorf("the lab has no client host"))
	}
	stream := startStream(ctx, client, requestScript(vipURLs(vips), "--ca-certificate="+labCACert(env), "ok"))
	stopped := false
	defer func() {
		if !stopped {
			stream.stop(2 * time.Second)
		}
	}()
	_ = sleep(ctx, cpBaseline)
	var restore func(context.Context) error
	var err error
	t0 := time.Now()
	switch fault {
	case FaultAPIServer:
		restore, err = freezeAPIServer(ctx, h)
	case FaultHost:
		restore, _, err = linkFault(ctx, env, h)
	}
	if err != nil {
		return stepErr("fault", err)
	}
	restored := false
	defer func() {
		if !restored {
			_ = restore(context.WithoutCancel(ctx))
		}
	}()
	if _, err := waitVIPRoutes(ctx, env, h, vips, false); err != nil {
		return stepErr("route drop", err)
	}
	run.Dropped = time.Since(t0)
	if fault == FaultHost {
		var at time.Time
		if at, run.QuorumWrite = quorumWrite(ctx, env); run.QuorumWrite == "" {
			run.Written = at.Sub(t0)
		}
	}
	_ = sleep(ctx, cpAfterDrop)
	lines := stream.stop(2 * time.Second)
	stopped = true
	countCPRequests(&run, parseRequests(lines, vips, "ok"), t0)
	restored = true
	tr := time.Now()
	if err := restore(ctx); err != nil {
		return stepErr("restore", err)
	}
	if _, err := waitVIPRoutes(ctx, env, h, vips, true); err != nil {
		return stepErr("route back", err)
	}
	run.Back = time.Since(tr)
	return run
}

// countCPRequests fills run's counts and Recovered from the requests.
func countCPRequests(run *CPFailoverRun, reqs []l2Req, t0 time.Time) {
	late := t0.Add(run.Dropped + l2RequestTimeout*time.Second)
	var lastFail time.Time
	reasons := map[string]int{}
	for _, r := range reqs {
		// A request that ended before the fault is the lab's baseline; one
		// in flight when the fault hit counts with those after it.
		if r.to.Before(t0) {
			if !r.ok {
				run.FailedBefore++
			}
			continue
		}
		run.Requests++
		if r.ok {
			continue
		}
		run.Failed++
		reasons[r.reason]++
		if r.from.After(lastFail) || lastFail.IsZero() {
			lastFail = r.from
		}
		if r.from.After(late) {
			run.FailedLate++
		}
	}
	if !lastFail.IsZero() {
		for _, r := range reqs {
			if r.from.After(lastFail) {
				run.Recovered = r.from.Sub(t0)
				break
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(reasons)) {
		run.Reasons = append(run.Reasons, fmt.Sprintf("%s ×%d", k, reasons[k]))
	}
}

// JudgeCPFailover passes when every fault ran through, dropped the node
// from the VIP's route and got it back after the restore, no request
// failed before a fault or a request timeout after the drop, requests
// through the VIP succeeded after each fault, and a write went through
// while a node was down.
func JudgeCPFailover(ev CPFailoverEvidence) Outcome {
	var problems, figures []string
	for _, r := range ev.Runs {
		if r.Step != "" {
			problems = append(problems, fmt.Sprintf("%s on %s: step %q: %s", r.Fault, r.Node, r.Step, r.Err))
			continue
		}
		switch {
		case r.Requests == 0:
			problems = append(problems, fmt.Sprintf("%s on %s: the client sent no request through the VIP after the fault", r.Fault, r.Node))
		case r.Failed == r.Requests:
			problems = append(problems, fmt.Sprintf("%s on %s: all %d requests through the VIP failed", r.Fault, r.Node, r.Requests))
		}
		if r.FailedBefore > 0 {
			problems = append(problems, fmt.Sprintf("%s on %s: %d requests failed before the fault", r.Fault, r.Node, r.FailedBefore))
		}
		if r.FailedLate > 0 {
			problems = append(problems, fmt.Sprintf("%s on %s: %d requests failed although they started a request timeout after the route dropped the node (%s)",
				r.Fault, r.Node, r.FailedLate, strings.Join(r.Reasons, ", ")))
		}
		if r.Fault == FaultHost && r.QuorumWrite != "" {
			problems = append(problems, fmt.Sprintf("%s on %s: a write through the VIP failed: %s", r.Fault, r.Node, r.QuorumWrite))
		}
		dropped, back := "route dropped it", "back"
		if ev.L2 {
			dropped, back = "another node answered for the VIP", "it answered again"
		}
		f := fmt.Sprintf("%s on %s: %s in %s, requests succeeded again after %s (%d of %d failed), %s %s after the restore",
			r.Fault, r.Node, dropped, r.Dropped.Round(10*time.Millisecond), r.Recovered.Round(10*time.Millisecond), r.Failed, r.Requests,
			back, r.Back.Round(10*time.Millisecond))
		if r.Fault == FaultHost && r.QuorumWrite == "" {
			f += fmt.Sprintf("; a write through the VIP succeeded %s after the cut, while it was down", r.Written.Round(10*time.Millisecond))
		}
		figures = append(figures, f)
	}
	if len(ev.Runs) < 2 && len(problems) == 0 {
		problems = append(problems, fmt.Sprintf("%d of 2 faults ran", len(ev.Runs)))
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	return pass(ev, "%s", strings.Join(figures, "; "))
}
