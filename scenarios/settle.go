package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// WaitReady waits until LoadBalancer traffic can flow, or timeout passes:
// the TOR's kernel route for every LB IP has exactly the eligible nodes as
// next hops (as ecmp-fib judges it), and every node that runs a data plane
// leads each of the topology's LB IP:ports to every endpoint (as
// dataplane-rules judges it). `lblab up` ends with it. An LB IP is assigned
// before either holds: the speakers must peer with the TOR and announce it
// (a second or two after they start), and kube-proxy must program it (by
// milliseconds on a netns node, by seconds on a user-mode Linux one, whose
// kube-proxy pays tens of milliseconds per command it runs).
func WaitReady(ctx context.Context, env Env, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	checks := []struct {
		what  string
		check Check
	}{
		{"the TOR did not route the LoadBalancer IPs to the eligible nodes", checkECMPFIB()},
		{"the data plane did not program the LoadBalancer IPs", checkDataplaneRules()},
	}
	if env.Topology().Controller.Mode == topology.ModeL2 {
		checks[0].what, checks[0].check = "no single eligible node answered ARP/NDP for every LoadBalancer IP", checkL2Owner()
	}
	problems := make([]string, len(checks)+1) // the last is the BFD wait's
	var g errgroup.Group
	for i, c := range checks {
		g.Go(func() error {
			attempts := 0
			if out := c.check.Run(ctx, env, &attempts); out.Status != Passed {
				problems[i] = fmt.Sprintf("%s within %s: %s", c.what, timeout, out.Summary)
			}
			return nil
		})
	}
	if env.Topology().TOR.BFD != nil {
		g.Go(func() error {
			if err := waitBFD(ctx, env); err != nil {
				problems[len(checks)] = fmt.Sprintf("the TOR's BFD sessions did not come up within %s: %v", timeout, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	var failed []string
	for _, p := range problems {
		if p != "" {
			failed = append(failed, p)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return nil
}

// waitBFD waits until the TOR's BFD session with every speaker node is up,
// in each family the lab peers in.
func waitBFD(ctx context.Context, env Env) error {
	nodes, v6s := ExpectedSpeakers(env)
	var addrs []netip.Addr
	for _, n := range nodes {
		for _, v6 := range v6s {
			if a, ok := (lab.Node{Addrs: n.Addrs}).Addr(v6); ok {
				addrs = append(addrs, a)
			}
		}
	}
	var last error
	err := wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		down, err := bfdNotUp(ctx, env, addrs)
		switch {
		case err != nil:
			last = err
		case len(down) > 0:
			last = fmt.Errorf("not up with %s", orNone(down))
		default:
			return true, nil
		}
		return false, nil
	})
	if err != nil && last != nil {
		return last
	}
	return err
}
