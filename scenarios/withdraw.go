package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lblab/lblab/internal/topology"
)

// WithdrawEvidence is the timeline of withdraw-on-delete.
type WithdrawEvidence struct {
	Service  string                      `json:"service"`
	IPs      []netip.Addr                `json:"ips"`
	Nexthops map[netip.Addr][]netip.Addr `json:"nexthops,omitempty"`
	// Allocated, Routed and Withdrawn are durations from the Service's
	// creation to its IPs, from then to the TOR's ECMP routes, and from
	// the delete to the routes' removal (BGP and kernel).
	Allocated time.Duration `json:"allocated"`
	Routed    time.Duration `json:"routed"`
	Withdrawn time.Duration `json:"withdrawn"`
	// Freed is true when no Service holds the IPs after the delete.
	Freed bool `json:"freed"`
	// Step names the step that did not complete, and Err why.
	Step string `json:"step,omitempty"`
	Err  string `json:"error,omitempty"`
}

func checkWithdrawOnDelete() Check {
	return Check{Mutates: true, Timeout: 45 * time.Second,
		Description: "a temporary LoadBalancer Service gets routed (L2: answered by one node); deleting it withdraws the route (L2: nobody answers ARP/NDP for it) and frees the IP",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			*attempt = 1
			if env.Topology().Controller.Mode == topology.ModeL2 {
				return JudgeL2Withdraw(runL2Withdraw(ctx, env))
			}
			ev := runWithdraw(ctx, env)
			return JudgeWithdraw(ev)
		}}
}

func runWithdraw(ctx context.Context, env Env) WithdrawEvidence {
	ev := WithdrawEvidence{}
	failAt := func(step string, err error) WithdrawEvidence {
		ev.Step, ev.Err = step, err.Error()
		return ev
	}
	lb, cleanup, step, err := startTempLB(ctx, env, TempPrefix+"withdraw", nil)
	defer cleanup()
	ev.Service, ev.IPs, ev.Allocated, ev.Nexthops, ev.Routed = lb.Key, lb.Info.LBIPs, lb.Allocated, lb.Routes.Got, lb.Routed
	if err != nil {
		return failAt(step, err)
	}
	if err := lb.kc.CoreV1().Services(lb.Info.Namespace).Delete(ctx, lb.Info.Name, metav1.DeleteOptions{}); err != nil {
		return failAt("delete", err)
	}
	gone, where := func(ctx context.Context) (bool, error) { return routesGone(ctx, env, ev.IPs) }, "the TOR still routes"
	if isExternal(env, lb.Info) {
		gone, where = func(ctx context.Context) (bool, error) { return lbGone(ctx, env, lb.Info) }, "the lb host still holds or forwards"
	}
	ev.Withdrawn, err = waitFor(ctx, 50*time.Millisecond, gone)
	if err != nil {
		return failAt("withdraw", fmt.Errorf("%s %s after the delete: %w", where, joinAddrs(ev.IPs), err))
	}
	_, err = waitFor(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		c, err := env.Cluster(ctx)
		if err != nil {
			return false, err
		}
		for _, ip := range ev.IPs {
			if slices.Contains(c.Held, ip) {
				return false, nil
			}
		}
		return true, nil
	})
	ev.Freed = err == nil
	if err != nil {
		return failAt("free", fmt.Errorf("a Service still holds %s: %w", joinAddrs(ev.IPs), err))
	}
	return ev
}

// routesGone reports whether the TOR has neither a BGP nor a kernel route
// for any of ips.
func routesGone(ctx context.Context, env Env, ips []netip.Addr) (bool, error) {
	fib, err := fibNexthops(ctx, env, ips)
	if err != nil || len(fib) > 0 {
		return false, err
	}
	for _, v6 := range []bool{false, true} {
		if !hasFamily(ips, v6) {
			continue
		}
		rib, err := torRIB(ctx, env, v6)
		if err != nil {
			return false, err
		}
		for _, ip := range ips {
			if _, ok := rib.Lookup(hostPrefix(ip)); ok {
				return false, nil
			}
		}
	}
	return true, nil
}

// JudgeWithdraw passes when every step of the timeline completed and every
// IP had a route to withdraw.
func JudgeWithdraw(ev WithdrawEvidence) Outcome {
	if ev.Step != "" {
		return fail(ev, "step %q: %s", ev.Step, ev.Err)
	}
	if len(ev.IPs) == 0 || !ev.Freed {
		return fail(ev, "incomplete run: IPs %v freed=%v", ev.IPs, ev.Freed)
	}
	for _, ip := range ev.IPs {
		if len(ev.Nexthops[ip]) == 0 {
			return fail(ev, "%s was never routed before the delete: nothing was withdrawn", ip)
		}
	}
	return pass(ev, "%s: routed %s after allocation, withdrawn %s after delete, IP free",
		joinAddrs(ev.IPs), ms(ev.Routed), ms(ev.Withdrawn))
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
