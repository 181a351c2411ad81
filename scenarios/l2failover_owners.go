package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker/l2/owner"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// Where the L2 speakers keep their heartbeats: one Lease per node.
const (
	l2LeaseNamespace = v1alpha1.NodeLeaseNamespace
	l2LeasePrefix    = owner.LeasePrefix
)

// l2FailoverService returns the first LoadBalancer Service with an LB IP.
func l2FailoverService(ctx context.Context, env Env) (ServiceInfo, error) {
	c, err := env.Cluster(ctx)
	if err != nil {
		return ServiceInfo{}, err
	}
	for _, s := range c.Services {
		if len(s.LBIPs) > 0 {
			return s, nil
		}
	}
	return ServiceInfo{}, fmt.Errorf("no LoadBalancer Service has an external IP")
}

func l2Client(env Env) (lab.Node, bool) {
	hs := hostsByRole(env, lab.RoleClient)
	if len(hs) == 0 {
		return lab.Node{}, false
	}
	return hs[0], true
}

// l2TrackedIPs returns si's first LB IP of each family the client has.
func l2TrackedIPs(si ServiceInfo, client lab.Node) []netip.Addr {
	var out []netip.Addr
	for _, v6 := range []bool{false, true} {
		if _, ok := client.Addr(v6); !ok {
			continue
		}
		if i := slices.IndexFunc(si.LBIPs, func(a netip.Addr) bool { return a.Is6() == v6 }); i >= 0 {
			out = append(out, si.LBIPs[i])
		}
	}
	return out
}

func l2Port(si ServiceInfo) uint16 {
	if len(si.Ports) > 0 {
		return si.Ports[0].Port
	}
	return 80
}

// l2Observe asks, from the TOR, who answers for si's LB IPs, refreshing si.
func l2Observe(ctx context.Context, env Env, si *ServiceInfo) ([]L2Evidence, error) {
	kc, err := env.Kube()
	if err != nil {
		return nil, err
	}
	fresh, err := ReadService(ctx, kc, si.Namespace, si.Name)
	if err != nil {
		return nil, err
	}
	*si = fresh
	return observeL2Service(ctx, env, fresh)
}

// l2Stable is how long the owners must stay the same before l2Owners
// takes them: a node that comes back takes its IPs back a moment after its
// Lease is renewed, and until then the IPs' temporary owners still answer.
const l2Stable = time.Second

// l2Owners waits until each of si's LB IPs is answered by one eligible
// node and the TOR's neighbour entry agrees (l2-owner's rules), the same
// nodes for l2Stable, and returns the observation by IP and when those
// owners were first seen.
func l2Owners(ctx context.Context, env Env, si *ServiceInfo) (map[netip.Addr]L2Evidence, time.Time, error) {
	return l2OwnersFor(ctx, env, si, l2Stable)
}

// l2StableOther is l2Stable for another controller's speakers, whose
// return lblab cannot see (no Lease): MetalLB's memberlist takes seconds
// to take a thawed speaker back in, and its IPs with it.
const l2StableOther = 8 * time.Second

// l2OwnersFor is l2Owners with the owners kept for stable.
func l2OwnersFor(ctx context.Context, env Env, si *ServiceInfo, stable time.Duration) (map[netip.Addr]L2Evidence, time.Time, error) {
	var last []L2Evidence
	var verdict Outcome
	var readErr error
	var since, lastBad time.Time
	var seen, bad string
	start := time.Now()
	_, err := waitFor(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		ev, err := l2Observe(ctx, env, si)
		if err != nil && expiring(ctx) && verdict.Summary != "" {
			return false, nil // the deadline cut this look short: keep the last whole one
		}
		if readErr = err; err != nil {
			return false, nil // retried: the lab may be settling
		}
		last, verdict = ev, JudgeL2Owner(ev)
		if verdict.Status != Passed || slices.ContainsFunc(ev, func(e L2Evidence) bool { return len(e.Eligible) == 0 }) {
			since, seen = time.Time{}, ""
			bad, lastBad = verdict.Summary, time.Now()
			return false, nil
		}
		if owners := l2OwnersKey(ev); owners != seen || since.IsZero() {
			since, seen = time.Now(), owners
		}
		return time.Since(since) >= stable, nil
	})
	switch {
	case err != nil && readErr != nil:
		return nil, since, fmt.Errorf("%w (the last observation failed: %v)", err, readErr)
	case err != nil && bad != "":
		// Say what kept the owners from holding, and until when.
		return nil, since, fmt.Errorf("the owners did not hold for %s; %s after the wait began: %s; last: %s: %w",
			stable, lastBad.Sub(start).Round(100*time.Millisecond), bad, verdict.Summary, err)
	case err != nil && verdict.Summary != "":
		return nil, since, fmt.Errorf("%s: %w", verdict.Summary, err)
	case err != nil:
		return nil, since, err
	}
	out := map[netip.Addr]L2Evidence{}
	for _, e := range last {
		out[e.IP] = e
	}
	return out, since, nil
}

func l2OwnersKey(ev []L2Evidence) string {
	var b strings.Builder
	for _, e := range ev {
		fmt.Fprintf(&b, "%s=%s ", e.IP, strings.Join(e.Owners, ","))
	}
	return b.String()
}

// l2Settle waits, within l2SettleBudget, until node's Lease was renewed
// after the renewal at before and every LB IP has one owner again (as
// l2Owners), and returns the owners and when they were first seen.
// Another controller's speakers keep no Lease: their owners must hold for
// l2StableOther instead.
func l2Settle(ctx context.Context, env Env, si *ServiceInfo, node string, before time.Time) (map[netip.Addr]L2Evidence, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, l2SettleBudget)
	defer cancel()
	if env.Topology().Controller.Type != topology.ControllerLBLab {
		// No Lease to watch: owners that held for l2StableOther.
		return l2OwnersFor(ctx, env, si, l2StableOther)
	}
	var last time.Time
	var readErr error
	_, err := waitFor(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		last, readErr = leaseRenewal(ctx, env, node)
		return readErr == nil && last.After(before), nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s's Lease was not renewed since %s (last renewal %s, read error %v): %w",
			node, before.Format(time.StampMilli), last.Format(time.StampMilli), readErr, err)
	}
	return l2Owners(ctx, env, si)
}

// leaseRenewal reads the renewTime of node's speaker Lease.
func leaseRenewal(ctx context.Context, env Env, node string) (time.Time, error) {
	kc, err := env.Kube()
	if err != nil {
		return time.Time{}, err
	}
	l, err := kc.CoordinationV1().Leases(l2LeaseNamespace).Get(ctx, l2LeasePrefix+node, metav1.GetOptions{})
	if err != nil {
		return time.Time{}, err
	}
	if l.Spec.RenewTime == nil {
		return time.Time{}, nil
	}
	return l.Spec.RenewTime.Time, nil
}
