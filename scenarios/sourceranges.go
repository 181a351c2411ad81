package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/lblab/lblab/internal/lab"
)

// RangesEvidence is what source-ranges saw.
type RangesEvidence struct {
	Service string         `json:"service"`
	Ranges  []netip.Prefix `json:"ranges"`
	Client  []Batch        `json:"client"` // must get through
	TOR     []Batch        `json:"tor"`    // must be dropped
	// Untested are LB IPs of a family the client has no address of.
	Untested []netip.Addr `json:"untested,omitempty"`
	// Programmed is how long after routing every node's data plane
	// showed the source ranges; the requests are sent only then.
	Programmed time.Duration `json:"programmed"`
	Step       string        `json:"step,omitempty"`
	Err        string        `json:"error,omitempty"`
}

func checkSourceRanges() Check {
	return Check{Mutates: true, Timeout: 45 * time.Second,
		Description: "with loadBalancerSourceRanges covering the client host only, the client gets through and the TOR is dropped",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			*attempt = 1
			return JudgeRanges(runRanges(ctx, env))
		}}
}

func runRanges(ctx context.Context, env Env) (ev RangesEvidence) {
	failAt := func(step string, err error) RangesEvidence {
		ev.Step, ev.Err = step, err.Error()
		return ev
	}
	client, ok1 := firstHost(env, lab.RoleClient)
	t, ok2 := tor(env)
	if !ok1 || !ok2 {
		return failAt("find the client and the TOR", fmt.Errorf("the lab needs both"))
	}
	lb, cleanup, step, err := startTempLB(ctx, env, TempPrefix+"ranges", func(svc *corev1.Service) {
		for _, a := range client.Addrs {
			p := netip.PrefixFrom(a, a.BitLen())
			ev.Ranges = append(ev.Ranges, p)
			svc.Spec.LoadBalancerSourceRanges = append(svc.Spec.LoadBalancerSourceRanges, p.String())
		}
	})
	defer cleanup()
	ev.Service = lb.Key
	if err != nil {
		return failAt(step, err)
	}
	if ev.Programmed, err = waitProgrammed(ctx, env, lb.Info); err != nil {
		return failAt("program the data plane", err)
	}
	si := lb.Info
	port := si.Ports[0].Port
	// One LB IP per family, tested side by side: most of the time goes to
	// the TOR's requests waiting out their timeouts.
	tests := make([]rangesTest, len(si.LBIPs))
	var wg sync.WaitGroup
	for i, ip := range si.LBIPs {
		if _, ok := client.Addr(ip.Is6()); !ok {
			ev.Untested = append(ev.Untested, ip)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tests[i] = testRanges(ctx, client, t, URL(ip, port))
		}()
	}
	wg.Wait()
	for _, r := range tests { // in LB IP order, as one after the other would
		if !r.ran {
			continue
		}
		ev.Client = append(ev.Client, r.client)
		if r.err != nil {
			return failAt(r.step, r.err)
		}
		ev.TOR = append(ev.TOR, r.tor)
	}
	return ev
}

// waitProgrammed waits until every node that runs a data plane leads
// the Service's LB IPs to its endpoints and filters them by its source
// ranges, as dataplane-rules judges it. kube-proxy can route a new
// Service before it filters it: its IPVS proxier adds the virtual server
// before the firewall ipsets, a window of milliseconds on a netns node
// and of seconds on a user-mode Linux one, whose execs are slow. The
// requests test the filter once it is in place.
func waitProgrammed(ctx context.Context, env Env, si ServiceInfo) (time.Duration, error) {
	kc, err := env.Kube()
	if err != nil {
		return 0, err
	}
	nodes := dataplaneNodes(hostsByRole(env, lab.RoleControlPlane, lab.RoleWorker))
	mode := string(env.Topology().Dataplane)
	var last Outcome
	d, err := waitFor(ctx, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		full, err := env.Cluster(ctx)
		if err != nil {
			return false, err
		}
		cur, err := ReadService(ctx, kc, si.Namespace, si.Name)
		if err != nil {
			return false, err
		}
		c := *full
		c.Services = []ServiceInfo{cur}
		obs := map[string]map[string]Observation{}
		for _, n := range nodes {
			obs[n.Name] = observeNode(ctx, env, &c, n)
		}
		last = JudgeRules(&c, names(nodes), obs, mode)
		return last.Status == Passed, nil
	})
	if err != nil {
		return d, fmt.Errorf("%s: %w", last.Summary, err)
	}
	return d, nil
}

// rangesTest is what source-ranges saw for one LB IP.
type rangesTest struct {
	ran         bool
	client, tor Batch
	step        string // the step that failed, with err
	err         error
}

// testRanges retries the client until all of a batch of its requests get
// through to url, then sends the TOR's requests once. The rules may trail
// the route by a moment, and a request sent before them times out: until
// one short request gets through, each try is that one request.
func testRanges(ctx context.Context, client, tor lab.Node, url string) rangesTest {
	r := rangesTest{ran: true}
	_, err := waitFor(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		var err error
		if r.client, err = Fetch(ctx, client, url, 1, 1); err != nil || r.client.OK == 0 {
			return false, err
		}
		r.client, err = Fetch(ctx, client, url, 3, 2)
		return err == nil && r.client.OK == r.client.Sent, err
	})
	if err != nil {
		r.step, r.err = "request from the client", fmt.Errorf("%d of %d requests got through: %w", r.client.OK, r.client.Sent, err)
		return r
	}
	// Dropped packets time out: two requests of 1 s each, at once.
	if r.tor, err = fetchAtOnce(ctx, tor, url, 2, 1); err != nil {
		r.step, r.err = "request from the TOR", err
	}
	return r
}

// JudgeRanges passes when every LB IP was tested, every client request
// got through and every TOR request was dropped at the network.
func JudgeRanges(ev RangesEvidence) Outcome {
	if ev.Step != "" {
		return fail(ev, "step %q: %s", ev.Step, ev.Err)
	}
	if len(ev.Client) == 0 {
		return fail(ev, "no request was sent")
	}
	for _, b := range ev.Client {
		if b.OK != b.Sent || b.Sent == 0 {
			return fail(ev, "client (inside %v) → %s: %d of %d got through", ev.Ranges, b.URL, b.OK, b.Sent)
		}
	}
	if len(ev.Untested) > 0 {
		return fail(ev, "%s not tested: the client has no address of its family", joinAddrs(ev.Untested))
	}
	if len(ev.TOR) < len(ev.Client) {
		return fail(ev, "the TOR sent requests to %d of the %d LB IPs", len(ev.TOR), len(ev.Client))
	}
	for _, b := range ev.TOR {
		if b.OK > 0 {
			return fail(ev, "TOR (outside %v) → %s: %d of %d got through; they must be dropped", ev.Ranges, b.URL, b.OK, b.Sent)
		}
		// Dropped (or rejected) requests fail at the network; any other
		// failure (no wget, a bad URL, an HTTP error) shows no drop.
		if b.Sent == 0 || b.Failures[wgetExit[4]] != b.Sent {
			return fail(ev, "TOR (outside %v) → %s: %d requests, failed as %s; want every one to time out or be refused", ev.Ranges, b.URL, b.Sent, Spread(b.Failures))
		}
	}
	return pass(ev, "client %d/%d through, TOR %d dropped (%s); filter in place %s after routing", sumOK(ev.Client), sumSent(ev.Client),
		sumSent(ev.TOR), Spread(mergeFailures(ev.TOR)), ev.Programmed.Round(time.Millisecond))
}

func sumOK(bs []Batch) (n int) {
	for _, b := range bs {
		n += b.OK
	}
	return n
}

func sumSent(bs []Batch) (n int) {
	for _, b := range bs {
		n += b.Sent
	}
	return n
}

func mergeFailures(bs []Batch) map[string]int {
	out := map[string]int{}
	for _, b := range bs {
		for k, v := range b.Failures {
			out[k] += v
		}
	}
	return out
}
