package scenarios

import (
	"context"
	"fmt"
	"time"
)

// WaitDataplane waits until every node that runs a data plane leads each
// of the topology's LB IP:ports to every endpoint, as dataplane-rules
// judges it, or timeout passes. `lblab up` ends with it: a LoadBalancer
// IP is assigned and announced before kube-proxy has programmed it, by
// milliseconds on a netns node and by seconds on a user-mode Linux one,
// whose kube-proxy pays tens of milliseconds per command it runs.
func WaitDataplane(ctx context.Context, env Env, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	attempts := 0
	out := checkDataplaneRules().Run(ctx, env, &attempts)
	if out.Status != Passed {
		return fmt.Errorf("the data plane did not program the LoadBalancer IPs within %s: %s", timeout, out.Summary)
	}
	return nil
}
