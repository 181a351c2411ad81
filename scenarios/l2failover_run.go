package scenarios

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lblab/lblab/internal/lab"
)

// l2Fault breaks a node and returns what repairs it, and a detail for the
// evidence (the interface taken down).
type l2Fault func(ctx context.Context, env Env, node lab.Node) (restore func(context.Context) error, detail string, err error)

// speakerFault freezes the node's speaker, as node-failover does.
func speakerFault(ctx context.Context, env Env, node lab.Node) (func(context.Context) error, string, error) {
	restore, err := env.Speakers().StopSpeaker(ctx, node.Name)
	return restore, "", err
}

// l2Baseline is how long the client's requests run before the fault;
// l2Tail how long they run once every IP moved.
const (
	l2Baseline     = 500 * time.Millisecond
	l2Tail         = 300 * time.Millisecond
	l2RestoreLimit = 30 * time.Second
)

// runL2Fault measures one fault on the owner of si's first tracked LB IP
// and restores the lab; run arrives with its Fault and Budget set.
func runL2Fault(ctx context.Context, env Env, si ServiceInfo, run L2FailoverRun, fault l2Fault) L2FailoverRun {
	failAt := func(step string, err error) L2FailoverRun {
		run.Step, run.Err = step, err.Error()
		return run
	}
	clientHost, ok := l2Client(env)
	if !ok {
		return failAt("find the client", fmt.Errorf("the lab has no client host to send traffic from"))
	}
	sctx, cancel := context.WithTimeout(ctx, settleTimeout)
	owned, _, err := l2Owners(sctx, env, &si)
	cancel()
	if err != nil {
		return failAt("wait for one owner per LB IP", err)
	}
	tracked := l2TrackedIPs(si, clientHost)
	if len(tracked) == 0 {
		return failAt("find an LB IP the client can reach", fmt.Errorf("%s has no LB IP of the client's families (%s)", si.Key(), orNone(clientHost.Addrs)))
	}
	run.Node = l2Owner(owned[tracked[0]])
	for _, ip := range tracked {
		e := owned[ip]
		if o := l2Owner(e); o != run.Node {
			run.Others = append(run.Others, fmt.Sprintf("%s (%s)", ip, o))
			continue
		}
		run.IPs = append(run.IPs, L2Move{IP: ip, Eligible: e.Eligible, OldOwner: run.Node, OldMAC: e.MACs[0]})
		if !slices.ContainsFunc(e.Eligible, func(n string) bool { return n != run.Node }) {
			return run // no node to move to: the judge says so
		}
	}
	node, ok := host(env, run.Node)
	if !ok {
		return failAt("find the owner", fmt.Errorf("the owner %s is no host of the lab", run.Node))
	}
	torHost, err := needTOR(env)
	if err != nil {
		return failAt("find the TOR", err)
	}
	client, ips := startL2Traffic(ctx, clientHost, run.IPs, l2Port(si))
	neigh := startStream(ctx, torHost, l2NeighScript())
	_ = sleep(ctx, l2Baseline)
	streaming := len(client.snapshot()) > 0 // else the lines come at the end

	t0 := time.Now()
	finished := false
	finish := func() {
		if !finished {
			finished = true
			applySwitches(&run, neigh.stop(time.Second), t0)
			countL2Requests(&run, parseL2Requests(client.stop(2*time.Second), ips), t0)
		}
	}
	defer finish()
	restore, detail, err := fault(ctx, env, node)
	run.Interface = detail
	if err != nil {
		finish()
		return failAt(run.Fault+" on "+run.Node, err)
	}
	restored := false
	defer func() {
		if !restored {
			cctx, cancel := context.WithTimeout(context.Background(), l2RestoreLimit)
			defer cancel()
			_ = restore(cctx)
		}
	}()
	measureL2Move(ctx, env, si, client, neigh, ips, streaming, &run, t0)
	_ = sleep(ctx, l2Tail)
	finish()

	renewed, _ := leaseRenewal(ctx, env, run.Node) // the last renewal before the restore
	rs := time.Now()
	run.RestoreAt = rs.Sub(t0).Round(time.Millisecond)
	cctx, cancel := context.WithTimeout(context.Background(), l2RestoreLimit)
	err = restore(cctx)
	cancel()
	restored = true
	if err != nil {
		return failAt("restore after the "+run.Fault+" on "+run.Node, err)
	}
	after, since, err := l2Settle(context.WithoutCancel(ctx), env, &si, run.Node, renewed)
	if err != nil {
		run.Settled = time.Since(rs).Round(time.Millisecond)
		return failAt("settle after the restore", err)
	}
	run.Settled = since.Sub(rs).Round(time.Millisecond)
	for i := range run.IPs {
		run.IPs[i].OwnerAfter = l2Owner(after[run.IPs[i].IP])
	}
	return run
}
