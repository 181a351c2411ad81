package scenarios

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
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
	problems := make([]string, len(checks))
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
