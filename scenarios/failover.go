package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/observe"
)

// FailoverEvidence is what node-failover measured.
type FailoverEvidence struct {
	Service  string        `json:"service"`
	IP       netip.Addr    `json:"ip"`
	Node     string        `json:"node"`
	Nexthop  netip.Addr    `json:"nexthop"`
	HoldTime time.Duration `json:"holdTime"`
	// BFDDetect is the TOR's BFD detection time for the speakers' sessions
	// (tor.bfd: multiplier × the larger interval), 0 without BFD: with
	// BFD, the next hop must go within it, not within the hold time.
	BFDDetect time.Duration `json:"bfdDetect,omitempty"`
	// Slack is the time allowed beyond the hold time for the withdraw
	// (route installation and polling).
	Slack  time.Duration `json:"slack"`
	Before []netip.Addr  `json:"before"`
	After  []netip.Addr  `json:"after"`
	// Withdrawn is from stopping the speaker to the next hop leaving the
	// TOR's kernel route; Restored from restoring it to the next hop's return.
	Withdrawn time.Duration `json:"withdrawn"`
	Restored  time.Duration `json:"restored"`
	// Requests and Failed count the client's requests while it ran.
	// AtRouteChange counts the failures of batches that overlapped a
	// change of the TOR's ECMP set (the withdraw and the restore): a
	// connection in flight may be rehashed to another node, which has no
	// conntrack entry for it. They are reported, not held against the check.
	// ChangeWindow is how close to a change a batch must be to count there.
	Requests      int           `json:"requests"`
	Failed        int           `json:"failed"`
	AtRouteChange int           `json:"atRouteChange"`
	ChangeWindow  time.Duration `json:"changeWindow"`
	// AfterWithdraw counts the requests that succeeded on the shrunk route.
	AfterWithdraw int            `json:"afterWithdraw"`
	Failures      map[string]int `json:"failures,omitempty"`
	Step          string         `json:"step,omitempty"`
	Err           string         `json:"error,omitempty"`
	// RestoreAt is when the speaker was restored, from its stop (0 when
	// the run did not get that far); the next hop came back Restored later.
	RestoreAt time.Duration `json:"restoreAt,omitempty"`
	// Timeline is the client's batches of requests in the order they ran,
	// for plotting; they are not judged.
	Timeline []FailoverBatch `json:"timeline,omitempty"`
}

// FailoverBatch is one batch of client requests during node-failover:
// when it started and ended, as offsets from the speaker's stop (negative
// before it), and how many of its requests succeeded and failed.
type FailoverBatch struct {
	Start  time.Duration `json:"start"`
	End    time.Duration `json:"end"`
	OK     int           `json:"ok"`
	Failed int           `json:"failed"`
}

// The tolerances of node-failover, reported in its evidence: holdSlack
// covers route installation and the polling interval; a batch of requests
// within changeWindow of a change of the ECMP set counts as at the change.
const (
	holdSlack    = time.Second
	changeWindow = time.Second
)

// settleTimeout bounds the wait for the route to reach every eligible
// node before node-failover starts.
const settleTimeout = 30 * time.Second

// failoverTarget reads the cluster and fills ev's Service, IP and the
// route's next hops, which must be every eligible node's (a speaker still
// peering would change the route during the run); it returns the step
// that failed.
func failoverTarget(ctx context.Context, env Env, ev *FailoverEvidence) (*Cluster, string, error) {
	c, err := env.Cluster(ctx)
	if err != nil {
		return nil, "read the cluster", err
	}
	i := slices.IndexFunc(Expectations(c), func(e Expectation) bool { return e.IP.IsValid() })
	if i < 0 {
		return nil, "find an LB IP", fmt.Errorf("no LoadBalancer Service has an external IP")
	}
	e := Expectations(c)[i]
	ev.Service, ev.IP = e.Service, e.IP
	fib, err := fibNexthops(ctx, env, []netip.Addr{e.IP})
	if err != nil {
		return nil, "read the TOR's route", err
	}
	ev.Before = fib[e.IP]
	if p := nexthopProblem(e.Want, ev.Before); p != "" {
		return nil, "wait for the route", fmt.Errorf("%s: %s", e.IP, p)
	}
	if len(ev.Before) < 2 {
		return nil, "pick a node", fmt.Errorf("%s has %d next hops; failover needs at least 2", e.IP, len(ev.Before))
	}
	if env.Topology().TOR.BFD != nil {
		// The TOR's bfdd makes a node's BFD session only once its BGP
		// session is up, and it comes up a second or two later: a node
		// stopped before that is detected by the hold time.
		if down, err := bfdNotUp(ctx, env, ev.Before); err != nil {
			return nil, "read the TOR's BFD sessions", err
		} else if len(down) > 0 {
			return nil, "wait for BFD", fmt.Errorf("the TOR's BFD session with %s is not up", orNone(down))
		}
	}
	return c, "", nil
}

// bfdNotUp returns the next hops whose BFD session on the TOR is not up.
func bfdNotUp(ctx context.Context, env Env, nexthops []netip.Addr) ([]netip.Addr, error) {
	t, err := needTOR(env)
	if err != nil {
		return nil, err
	}
	peers, _, err := observe.TORBFDPeers(ctx, t)
	if err != nil {
		return nil, err
	}
	var down []netip.Addr
	for _, nh := range nexthops {
		if !slices.ContainsFunc(peers, func(p frr.BFDPeer) bool { return p.Peer == nh && p.Up() }) {
			down = append(down, nh)
		}
	}
	return down, nil
}

func checkNodeFailover() Check {
	return Check{Mutates: true, Timeout: 90 * time.Second,
		Description: "stopping one node's speaker removes its next hop within the BGP hold time (the BFD detection time with tor.bfd) while client traffic keeps flowing",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			if out, ok := bgpOnly(env); !ok {
				return out
			}
			*attempt = 1
			if env.Speakers() == nil {
				return skip("the backend cannot stop a speaker")
			}
			return JudgeFailover(runFailover(ctx, env))
		}}
}

func runFailover(ctx context.Context, env Env) (ev FailoverEvidence) {
	failAt := func(step string, err error) FailoverEvidence {
		ev.Step, ev.Err = step, err.Error()
		return ev
	}
	// Right after `up` the speakers may still be peering: wait, within
	// settleTimeout, for an LB IP routed via every eligible node.
	var c *Cluster
	var step string
	var werr error
	sctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	_, _ = waitFor(sctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		cc, s, err := failoverTarget(ctx, env, &ev)
		if err != nil && expiring(ctx) && werr != nil {
			return false, nil // the deadline cut this attempt short: keep the last whole answer
		}
		c, step, werr = cc, s, err
		return werr == nil, nil
	})
	if werr != nil {
		return failAt(step, werr)
	}
	ev.Nexthop = ev.Before[len(ev.Before)-1]
	ev.Node = c.NodeOf(ev.Nexthop)
	ev.HoldTime, ev.Slack, ev.ChangeWindow = holdTime(ctx, env, ev.Nexthop), holdSlack, changeWindow
	if b := env.Topology().TOR.BFD; b != nil {
		ev.BFDDetect = time.Duration(b.DetectMultiplier*max(b.TransmitInterval, b.ReceiveInterval)) * time.Millisecond
	}
	client, ok := firstHost(env, lab.RoleClient)
	if !ok {
		return failAt("find the client", fmt.Errorf("the lab has no client host to send traffic from"))
	}
	port := uint16(80)
	if s, ok := c.Service(ev.Service); ok && len(s.Ports) > 0 {
		port = s.Ports[0].Port
	}

	// Client traffic for the whole run; its counts land in ev when it stops.
	tctx, stopTraffic := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var requests, failed int
	failures := map[string]int{}
	type window struct {
		from, to time.Time
		failed   int
		ok       int
	}
	var windows []window
	wg.Add(1)
	go func() {
		defer wg.Done()
		const batch = 5
		// A batch, then 50 ms after it ends, until the run stops it.
		wait.UntilWithContext(tctx, func(tctx context.Context) {
			from := time.Now()
			b, err := Fetch(tctx, client, URL(ev.IP, port), batch, 2)
			if tctx.Err() != nil {
				return
			}
			for k, v := range b.Failures {
				failures[k] += v
			}
			if n := batch - b.Sent; err != nil && n > 0 { // the requests that did not run failed
				failures[err.Error()] += n
			}
			windows = append(windows, window{from: from, to: time.Now(), failed: batch - b.OK, ok: b.OK})
			requests += batch
			failed += batch - b.OK
		}, 50*time.Millisecond)
	}()
	var changes []time.Time // when the TOR's ECMP set changed
	var start time.Time     // when the speaker was stopped
	defer func() {
		stopTraffic()
		wg.Wait()
		ev.Requests, ev.Failed = requests, failed
		if len(failures) > 0 {
			ev.Failures = failures
		}
		for _, w := range windows {
			ev.Timeline = append(ev.Timeline, FailoverBatch{Start: w.from.Sub(start).Round(time.Millisecond),
				End: w.to.Sub(start).Round(time.Millisecond), OK: w.ok, Failed: w.failed})
			for _, c := range changes {
				if w.to.After(c.Add(-changeWindow)) && w.from.Before(c.Add(changeWindow)) {
					ev.AtRouteChange += w.failed
					break
				}
			}
			if len(changes) > 0 && w.from.After(changes[0]) && (len(changes) < 2 || w.to.Before(changes[1])) {
				ev.AfterWithdraw += w.ok
			}
		}
	}()

	start = time.Now()
	restore, err := env.Speakers().StopSpeaker(ctx, ev.Node)
	if err != nil {
		return failAt("stop the speaker on "+ev.Node, err)
	}
	restored := false
	defer func() {
		if restored {
			return
		}
		cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_ = restore(cctx)
	}()
	ev.After, err = waitNexthop(ctx, env, ev.IP, ev.Nexthop, false)
	ev.Withdrawn = time.Since(start)
	changes = append(changes, time.Now())
	if err != nil {
		return failAt("withdraw", fmt.Errorf("%s still routes via %s: %w", ev.IP, ev.Nexthop, err))
	}
	_ = sleep(ctx, time.Second) // traffic on the shrunk route
	rstart := time.Now()
	ev.RestoreAt = rstart.Sub(start).Round(time.Millisecond)
	cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	err = restore(cctx)
	restored = true
	if err != nil {
		return failAt("restore the speaker on "+ev.Node, err)
	}
	_, err = waitNexthop(cctx, env, ev.IP, ev.Nexthop, true)
	ev.Restored = time.Since(rstart)
	changes = append(changes, time.Now())
	if err != nil {
		return failAt("restore", fmt.Errorf("%s did not get %s back after the speaker was restored: %w", ev.IP, ev.Nexthop, err))
	}
	return ev
}

// waitNexthop waits until the TOR's kernel route for ip has nh (present)
// or lacks it, and returns the last next hops it read. A failed read is
// retried; when the deadline comes, the error says how the last read failed.
func waitNexthop(ctx context.Context, env Env, ip, nh netip.Addr, present bool) ([]netip.Addr, error) {
	var last []netip.Addr
	var readErr error
	_, err := waitFor(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		fib, err := fibNexthops(ctx, env, []netip.Addr{ip})
		if readErr = err; err != nil {
			return false, nil
		}
		last = fib[ip]
		return slices.Contains(last, nh) == present, nil
	})
	if err != nil && readErr != nil {
		err = fmt.Errorf("%w (the last read of the TOR's routes failed: %v)", err, readErr)
	}
	return last, err
}

// holdTime returns the negotiated hold time of the TOR's session with addr
// (the topology's when the TOR does not say).
func holdTime(ctx context.Context, env Env, addr netip.Addr) time.Duration {
	if nbs, err := torNeighbors(ctx, env); err == nil {
		for _, n := range nbs {
			if n.Address == addr && n.HoldTime > 0 {
				return n.HoldTime
			}
		}
	}
	return time.Duration(env.Topology().TOR.HoldTime) * time.Second
}

// JudgeFailover passes when the next hop left within the hold time plus
// the evidence's slack, came back after the restore, client requests were
// sent and kept succeeding on the shrunk route, and none failed away from
// the two route changes.
func JudgeFailover(ev FailoverEvidence) Outcome {
	if ev.Step != "" {
		return fail(ev, "step %q: %s", ev.Step, ev.Err)
	}
	if rest := slices.DeleteFunc(slices.Clone(ev.Before), func(a netip.Addr) bool { return a == ev.Nexthop }); len(rest) == len(ev.Before) {
		return fail(ev, "the stopped node's next hop %s was not in the route before (%s)", ev.Nexthop, orNone(ev.Before))
	} else if p := nexthopProblem(rest, ev.After); p != "" {
		return fail(ev, "%s without %s's speaker: %s", ev.IP, ev.Node, p)
	}
	limit, within := ev.HoldTime, "hold time"
	if ev.BFDDetect > 0 {
		limit, within = ev.BFDDetect, "BFD detection time"
	}
	if ev.Withdrawn > limit+ev.Slack {
		return fail(ev, "%s left %s's route after %s, more than the %s %s + %s slack", ev.Nexthop, ev.IP, ms(ev.Withdrawn), within, limit, ev.Slack)
	}
	if ev.Requests == 0 {
		return fail(ev, "the client sent no request while %s's speaker was stopped", ev.Node)
	}
	if n := ev.Failed - ev.AtRouteChange; n > 0 {
		return fail(ev, "%d of %d client requests failed away from the route changes (%s)", n, ev.Requests, Spread(ev.Failures))
	}
	if ev.AfterWithdraw == 0 {
		return fail(ev, "no client request succeeded on the route without %s", ev.Nexthop)
	}
	rehashed := ""
	if ev.AtRouteChange > 0 {
		rehashed = fmt.Sprintf(", %d failed as the ECMP set changed (within %s of it)", ev.AtRouteChange, ev.ChangeWindow)
	}
	return pass(ev, "%s (%s) withdrawn in %s (%s %s + %s slack), restored in %s; client %d/%d requests ok%s",
		ev.Node, ev.Nexthop, ms(ev.Withdrawn), within, limit, ev.Slack, ms(ev.Restored), ev.Requests-ev.Failed, ev.Requests, rehashed)
}

// expiring reports whether ctx has ended or ends within a second: a
// client's rate limiter refuses to wait past the deadline ("would exceed
// context deadline") before ctx.Err() says anything.
func expiring(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ctx.Err() != nil || (ok && time.Until(d) < time.Second)
}
