// Command speaker-bench measures the lblab speaker against a lab's real
// FRR TOR and kube-apiserver (issue 4's targets):
//   - Service status gets its IP → first BGP UPDATE for it on the wire
//     (tcpdump on the TOR's eth0), and → the TOR's kernel route having
//     every eligible node as next hop (netlink, in the TOR's namespace);
//   - deletion → withdrawal on the wire and route gone;
//   - churn of N Services created as fast as the API server takes them:
//     all routes in the FIB after the last create, all gone after the last
//     delete;
//   - the speakers' RSS at the end of the largest churn.
//
// In self mode (default) the bench plays the controller: it writes each
// Service's status.loadBalancer (and pool annotation) itself, so the
// figures are the speaker's alone. With -controller it creates Services
// for the lab's lblab controller and measures from the create. With
// -metallb it does the same for MetalLB (a lab brought up with
// --controller metallb): it creates a
// MetalLB IPAddressPool instead of an lblab IPPool, and finds MetalLB's
// processes for the RSS figures.
//
//	go run ./hack/bench/speaker -lab spk-bench -start-speakers
//
// It needs root, a lab with Kubernetes, and tcpdump. It prints figures and
// asserts nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
)

type options struct {
	lab           string
	services      int
	churn         string
	parallel      int
	controller    bool
	metallb       bool
	startSpeakers bool
	lblab         string
	torASN, asn   uint
	hold          time.Duration
	churnWait     time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.lab, "lab", "", "lab name (a lab with Kubernetes; --controller none unless -controller)")
	flag.IntVar(&o.services, "services", 100, "Services in the latency phase (created one at a time)")
	flag.StringVar(&o.churn, "churn", "1000,5000", "churn sizes, comma-separated")
	flag.IntVar(&o.parallel, "parallel", 8, "parallel API clients in the churn phases")
	flag.BoolVar(&o.controller, "controller", false, "let the lab's lblab controller allocate IPs (measure from Service create)")
	flag.BoolVar(&o.metallb, "metallb", false, "like -controller, for MetalLB (a lab brought up with --controller metallb)")
	flag.BoolVar(&o.startSpeakers, "start-speakers", false, "start `lblab speaker` in every eligible node (when the lab runs none)")
	flag.StringVar(&o.lblab, "lblab", "bin/lblab", "lblab binary for -start-speakers")
	flag.UintVar(&o.torASN, "tor-asn", 64496, "TOR AS, for the BGPPeer the bench creates when there is none")
	flag.UintVar(&o.asn, "asn", 64500, "speakers' AS, likewise")
	flag.DurationVar(&o.churnWait, "churn-wait", 120*time.Second, "how long a churn waits for every route in the TOR's FIB")
	flag.DurationVar(&o.hold, "hold", 0, "keep each churn's Services this long before deleting them (to profile the speakers)")
	flag.Parse()
	if o.lab == "" {
		fmt.Fprintln(os.Stderr, "usage: speaker-bench -lab NAME [-start-speakers] [-controller]")
		os.Exit(2)
	}
	if o.metallb {
		o.controller = true
		poolAnnotation = metallbPoolAnnotation
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

type bench struct {
	o     options
	kube  kubernetes.Interface
	nodes []benchNode
	want  []netip.Addr
	// controlPlane is the API server's address, where the lab's
	// controller serves its metrics too.
	controlPlane netip.Addr
	wire         *wireWatch
	fib          *fibWatch
	// status records when the bench first saw each Service with an IP
	// (controller mode).
	mu     sync.Mutex
	status map[string]statusSeen
}

type statusSeen struct {
	ip netip.Addr
	at time.Time
}

func run(ctx context.Context, o options) error {
	kc := filepath.Join(lab.StateDir(o.lab), "kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		return fmt.Errorf("failed to load %s (is lab %s up with Kubernetes?): %w", kc, o.lab, err)
	}
	cfg.QPS, cfg.Burst = 5000, 5000
	b := &bench{o: o, status: map[string]statusSeen{}}
	if u, err := url.Parse(cfg.Host); err == nil {
		b.controlPlane, _ = netip.ParseAddr(u.Hostname())
	}
	if b.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if b.nodes, err = eligibleNodes(ctx, b.kube); err != nil {
		return err
	}
	for _, n := range b.nodes {
		b.want = append(b.want, n.ip)
	}
	tor, err := netip.ParseAddr(strings.TrimSpace(firstTORAddr(o.lab)))
	if err != nil {
		return fmt.Errorf("failed to find the TOR's address: %w", err)
	}
	if o.metallb {
		err = setupMetalLB(ctx, b.kube, dyn)
	} else {
		err = setup(ctx, b.kube, dyn, tor, uint32(o.torASN), uint32(o.asn), o.controller)
	}
	if err != nil {
		return err
	}
	if err := b.cleanup(ctx); err != nil {
		return err
	}
	if o.startSpeakers {
		dir, _ := os.MkdirTemp("", "speaker-bench-")
		cmds, err := startSpeakers(o.lblab, o.lab, kc, dir, b.nodes)
		defer stopSpeakers(cmds)
		if err != nil {
			return err
		}
		fmt.Printf("speaker logs in %s\n", dir)
	}
	if err := b.waitSessions(ctx, tor); err != nil {
		return err
	}
	done := make(chan struct{})
	defer close(done)
	if b.fib, err = watchFIB(o.lab+"_tor", b.want, done); err != nil {
		return err
	}
	if b.wire, err = watchWire(o.lab + "_tor"); err != nil {
		return err
	}
	defer b.wire.stop()
	if o.controller {
		b.watchStatus(done)
	}

	mode := "self (the bench writes each Service's status, as the controller would)"
	if o.controller {
		mode = "controller (the lab's lblab controller allocates; times from Service create)"
	}
	if o.metallb {
		mode = "metallb (MetalLB, --controller metallb, allocates and announces; times from Service create)"
	}
	var names []string
	for _, n := range b.nodes {
		names = append(names, n.name+" "+n.ip.String())
	}
	fmt.Printf("speaker bench: lab %s, %d speakers (%s), mode %s, %d cores\n", o.lab, len(b.nodes), strings.Join(names, ", "), mode, runtime.NumCPU())
	if err := b.latency(ctx); err != nil {
		return err
	}
	for _, s := range strings.Split(o.churn, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			continue
		}
		if err := b.churnPhase(ctx, n); err != nil {
			return err
		}
	}
	if n := b.fib.overflows(); n > 0 {
		fmt.Printf("warning: %d netlink errors (lost route messages) in the FIB watch\n", n)
	}
	return nil
}

// firstTORAddr is the TOR's IPv4 address on the node subnet.
func firstTORAddr(labName string) string {
	t, err := lab.LoadTopology(labName)
	if err != nil {
		return ""
	}
	for _, p := range t.Network.Prefixes() {
		if p.Addr().Is4() {
			return p.Masked().Addr().Next().String()
		}
	}
	return ""
}

// waitSessions waits until the TOR has an Established session with every
// eligible node.
func (b *bench) waitSessions(ctx context.Context, tor netip.Addr) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _ := runIn(b.o.lab+"_tor", "vtysh", "--vty_socket", filepath.Join(lab.RunDir(b.o.lab), "tor"), "-c", "show bgp summary json")
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
			return fmt.Errorf("only %d of %d speakers have an Established session with the TOR %s", up, len(b.nodes), tor)
		}
		time.Sleep(200 * time.Millisecond)
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
	_, err = parallel(len(names), b.o.parallel, func(i int) error { return deleteService(ctx, b.kube, names[i]) })
	return err
}

// ipFor is the bench's address for Service i of a phase (self mode).
func ipFor(phase, i int) netip.Addr {
	n := uint32(phase)<<14 + uint32(i) + 1
	return netip.AddrFrom4([4]byte{100, 64 + byte(n>>16), byte(n >> 8), byte(n)})
}

func host(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }

// parallel runs fn(0..n-1) on k workers and returns when the last call
// finished.
func parallel(n, k int, fn func(i int) error) (time.Time, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		last     time.Time
		next     = make(chan int)
	)
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				err := fn(i)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if t := time.Now(); t.After(last) {
					last = t
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return last, firstErr
}

// stats prints min, p50, p90, p99 and max of ds (nearest rank).
func stats(label string, ds []time.Duration) {
	if len(ds) == 0 {
		fmt.Printf("  %-58s no samples\n", label)
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	q := func(p float64) time.Duration {
		i := int(p*float64(len(ds))+0.999999) - 1
		return ds[max(0, min(i, len(ds)-1))]
	}
	fmt.Printf("  %-58s n=%-4d min %6s  p50 %6s  p90 %6s  p99 %6s  max %6s\n", label, len(ds),
		ms(ds[0]), ms(q(.5)), ms(q(.9)), ms(q(.99)), ms(ds[len(ds)-1]))
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + "ms" }
