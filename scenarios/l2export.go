package scenarios

import "context"

// ObserveL2 asks the segment, from the TOR, who answers ARP and NDP for
// every LB IP of c's Services, as l2-owner does (lblab graph draws it).
func ObserveL2(ctx context.Context, env Env, c *Cluster) ([]L2Evidence, error) {
	return observeL2Of(ctx, env, c)
}
