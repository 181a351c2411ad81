package bench

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
)

// Options say what to measure on which lab.
type Options struct {
	// Lab is a lab with Kubernetes and the controller under test.
	Lab string
	// Controller is the lab's controller (lblab, metallb, kube-vip), or
	// Self: the bench writes each Service's status itself and measures
	// lblab's speakers alone.
	Controller string
	// Latency is how many Services the one-at-a-time phase creates.
	Latency int
	// Churn are the churn sizes.
	Churn []int
	// Parallel API clients create and delete in the churn phases.
	Parallel int
	// ChurnWait bounds a churn's wait for every route (and every status).
	ChurnWait time.Duration
	// ChurnStall ends a churn's wait early once its count (statuses, routes
	// in, routes left) has not moved for this long: a controller that
	// never completes or withdraws some routes (OpenELB's finding) would
	// otherwise hold every wait to ChurnWait.
	ChurnStall time.Duration
	// Hold keeps each churn's Services this long before the deletes.
	Hold time.Duration
	// Progress gets a line per phase and every few seconds of a wait.
	Progress io.Writer
}

// DefaultChurnStall is Options.ChurnStall's default.
const DefaultChurnStall = 30 * time.Second

// Self is the Controller of self mode: no controller allocates; the bench
// writes each Service's status as lblab's controller would.
const Self = "self"

type bench struct {
	o      Options
	t      target
	kube   kubernetes.Interface
	nodes  []benchNode
	want   []netip.Addr
	tor    netip.Addr
	cpAddr netip.Addr // the API server's address (and lblab controller's metrics)
	wire   *wireWatch
	fib    *fibWatch
	// status records when the bench first saw each Service with an IP.
	mu     sync.Mutex
	status map[string]statusSeen
}

type statusSeen struct {
	ip netip.Addr
	at time.Time
}

// Run measures the controller of lab o.Lab and returns its figures. It
// needs root (the TOR's namespace) and tcpdump. On an error after the
// measurements began it returns what was measured too.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	if o.ChurnWait <= 0 {
		o.ChurnWait = 2 * time.Minute
	}
	if o.ChurnStall <= 0 {
		o.ChurnStall = DefaultChurnStall
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	t, err := targetFor(o.Controller)
	if err != nil {
		return nil, err
	}
	kc := lab.Kubeconfig(o.Lab)
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		return nil, fmt.Errorf("failed to load %s (is lab %s up with Kubernetes?): %w", kc, o.Lab, err)
	}
	cfg.QPS, cfg.Burst = 5000, 5000
	// The core/v1 Endpoints the bench writes for OpenELB are deprecated:
	// one warning per request would drown the progress lines.
	cfg.WarningHandler = rest.NoWarnings{}
	b := &bench{o: o, t: t, status: map[string]statusSeen{}}
	if u, err := url.Parse(cfg.Host); err == nil {
		b.cpAddr, _ = netip.ParseAddr(u.Hostname())
	}
	if b.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if b.nodes, err = eligibleNodes(ctx, b.kube); err != nil {
		return nil, err
	}
	res := &Result{Controller: o.Controller}
	for _, n := range b.nodes {
		b.want = append(b.want, n.ip)
		res.Speakers = append(res.Speakers, n.name+" "+n.ip.String())
	}
	if b.tor, err = torAddr(o.Lab); err != nil {
		return nil, err
	}
	if err := t.setup(ctx, b.kube, dyn, b.tor); err != nil {
		return nil, err
	}
	if err := b.cleanup(ctx); err != nil {
		return nil, err
	}
	if err := b.waitSessions(ctx); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	defer close(done)
	if b.fib, err = watchFIB(o.Lab+"_tor", b.want, done); err != nil {
		return nil, err
	}
	if b.wire, err = watchWire(o.Lab + "_tor"); err != nil {
		return nil, err
	}
	defer b.wire.stop()
	b.watchStatus(done)

	if err := b.latency(ctx, res); err != nil {
		return res, err
	}
	for _, n := range o.Churn {
		c, err := b.churn(ctx, n)
		if err != nil {
			// An interrupted churn's half figures would read as findings.
			res.Notes = append(res.Notes, fmt.Sprintf("churn %d incomplete: %v", n, err))
			return res, err
		}
		res.Churn = append(res.Churn, c)
	}
	if n := b.fib.overflows(); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d netlink errors in the FIB watch: route messages were lost", n))
	}
	for _, a := range b.fib.extra() {
		res.ExtraNexthops = append(res.ExtraNexthops, a.String())
	}
	return res, nil
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.o.Progress, "%s: "+format+"\n", append([]any{b.o.Controller}, args...)...)
}

// torAddr is the TOR's IPv4 address on the node subnet.
func torAddr(labName string) (netip.Addr, error) {
	t, err := lab.LoadTopology(labName)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("failed to read lab %s's topology: %w", labName, err)
	}
	for _, p := range t.Network.Prefixes() {
		if p.Addr().Is4() {
			return p.Masked().Addr().Next(), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("lab %s has no IPv4 node subnet: the bench measures IPv4 routes", labName)
}

// waitSessions waits until the TOR has an Established session with every
// eligible node.
func (b *bench) waitSessions(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _ := runIn(b.o.Lab+"_tor", "vtysh", "--vty_socket", lab.RunDir(b.o.Lab)+"/tor", "-c", "show bgp summary json")
		up := 0
		if sum, err := frr.ParseSummary([]byte(out)); err == nil {
			est := sum.Established()
			for _, n := range b.nodes {
				if slices.Contains(est, n.ip) {
					up++
				}
			}
		}
		if up == len(b.nodes) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d speakers have an Established session with the TOR %s", up, len(b.nodes), b.tor)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// watchStatus records when each bench Service first shows an IP.
func (b *bench) watchStatus(done <-chan struct{}) {
	f := informers.NewSharedInformerFactoryWithOptions(b.kube, 0, informers.WithNamespace(benchNS))
	inf := f.Core().V1().Services().Informer()
	seen := func(o any) {
		s, ok := o.(*corev1.Service)
		if !ok || len(s.Status.LoadBalancer.Ingress) == 0 {
			return
		}
		ip, err := netip.ParseAddr(s.Status.LoadBalancer.Ingress[0].IP)
		if err != nil {
			return
		}
		now := time.Now()
		b.mu.Lock()
		if _, ok := b.status[s.Name]; !ok {
			b.status[s.Name] = statusSeen{ip, now}
		}
		b.mu.Unlock()
	}
	inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: seen, UpdateFunc: func(_, o any) { seen(o) }})
	f.Start(done)
	f.WaitForCacheSync(done)
}

func (b *bench) statusOf(name string) (statusSeen, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.status[name]
	return s, ok
}

// cleanup deletes bench Services left by an earlier run.
func (b *bench) cleanup(ctx context.Context) error {
	list, err := b.kube.CoreV1().Services(benchNS).List(ctx, metav1.ListOptions{LabelSelector: benchLabel})
	if err != nil {
		return err
	}
	var names []string
	for _, s := range list.Items {
		names = append(names, s.Name)
	}
	_, err = parallel(len(names), b.o.Parallel, nil, func(i int) error { return deleteService(ctx, b.kube, names[i]) })
	return err
}
