package externallb

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"github.com/lblab/lblab/internal/haproxy"
)

// syncKey is the queue's only key: every change leads to one sync of the
// whole lb host.
const syncKey = "lb-host"

// resyncEvery is how often the lb host is synced without a change, to
// repair what went away underneath (an address deleted by hand).
const resyncEvery = 30 * time.Second

// Controller programs the lb host for the Services of its class. Make
// one with New and call Run (Main does both, with the real Programmer).
type Controller struct {
	opts     Options
	client   kubernetes.Interface
	recorder record.EventRecorder
	prog     Programmer
	log      *slog.Logger
	metrics  *metrics

	factory  informers.SharedInformerFactory
	services corelisters.ServiceLister
	nodes    corelisters.NodeLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]

	// Touched by the single worker only.
	memory   map[types.UID][]netip.Addr // addresses given, until the Service lets go
	ensured  map[string]string          // Service key → fingerprint programmed
	failed   map[string]string          // Service key → last AllocationFailed message
	deleting map[string]bool            // Services whose DeletingLoadBalancer was recorded
	written  map[types.UID]string       // resourceVersion of this controller's last write of a Service
}

// New returns a controller over client that programs the lb host through
// prog. recorder may be nil (events are dropped).
func New(client kubernetes.Interface, recorder record.EventRecorder, prog Programmer, log *slog.Logger, opts Options) *Controller {
	if recorder == nil {
		recorder = &record.FakeRecorder{}
	}
	if log == nil {
		log = slog.Default()
	}
	c := &Controller{
		opts: opts, client: client, recorder: recorder, prog: prog, log: log, metrics: newMetrics(),
		factory: informers.NewSharedInformerFactory(client, 0),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: Component}),
		memory: map[types.UID][]netip.Addr{}, ensured: map[string]string{}, failed: map[string]string{}, deleting: map[string]bool{},
		written: map[types.UID]string{},
	}
	svcInf, nodeInf := c.factory.Core().V1().Services(), c.factory.Core().V1().Nodes()
	c.services, c.nodes = svcInf.Lister(), nodeInf.Lister()
	_ = svcInf.Informer().SetTransform(stripManagedFields)
	_ = nodeInf.Informer().SetTransform(stripManagedFields)
	c.synced = []cache.InformerSynced{svcInf.Informer().HasSynced, nodeInf.Informer().HasSynced}
	_, _ = svcInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if c.relevant(obj) {
				c.Resync()
			}
		},
		UpdateFunc: func(old, obj any) {
			if c.relevant(old) || c.relevant(obj) {
				c.Resync()
			}
		},
		DeleteFunc: func(any) { c.Resync() },
	})
	_, _ = nodeInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { c.Resync() },
		UpdateFunc: func(old, obj any) {
			// Only what decides eligibility and addresses: not heartbeats.
			o, n := old.(*corev1.Node), obj.(*corev1.Node)
			if fmt.Sprint(eligibleNodes([]*corev1.Node{o})) != fmt.Sprint(eligibleNodes([]*corev1.Node{n})) {
				c.Resync()
			}
		},
		DeleteFunc: func(any) { c.Resync() },
	})
	return c
}

func stripManagedFields(obj any) (any, error) {
	if m, ok := obj.(metav1.Object); ok {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// Resync asks for a sync of the lb host after the debounce.
func (c *Controller) Resync() { c.queue.AddAfter(syncKey, c.opts.Debounce) }

// handles reports whether svc is a live LoadBalancer Service of the class.
func (c *Controller) handles(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.LoadBalancerClass != nil &&
		*svc.Spec.LoadBalancerClass == c.opts.Class && svc.DeletionTimestamp == nil
}

// relevant: a Service of the class, or one that still has this
// controller's finalizer. Others (other classes, class-less) are never
// looked at.
func (c *Controller) relevant(obj any) bool {
	svc, ok := obj.(*corev1.Service)
	return ok && (c.handles(svc) || slices.Contains(svc.Finalizers, Finalizer))
}

// Run starts the informers and syncs until ctx is done.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	c.factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return fmt.Errorf("failed to sync the informers' caches: %w", context.Cause(ctx))
	}
	c.queue.Add(syncKey)
	go func() {
		t := time.NewTicker(resyncEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				c.queue.Add(syncKey)
			}
		}
	}()
	go func() {
		<-ctx.Done()
		c.queue.ShutDown()
	}()
	for c.processNext(ctx) {
	}
	c.factory.Shutdown()
	return nil
}

func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	start := time.Now()
	err := c.sync(ctx)
	c.metrics.observe(start, err)
	if err == nil {
		c.queue.Forget(key)
		return true
	}
	if ctx.Err() == nil {
		c.log.Warn("sync failed; retrying", "err", err)
		c.queue.AddRateLimited(key)
	}
	return true
}

// plan is what one Service of the class gets on the lb host.
type plan struct {
	svc      *corev1.Service
	key      string
	ips      []netip.Addr
	fes      []haproxy.Frontend
	warnings []string
	fp       string
}

// sync recomputes the whole lb host from the caches and applies it: the
// finalizers first, then the allocation, one Programmer.Apply, the
// status of every Service, and last the release of the Services that are
// gone (finalizer removed once nothing forwards them any more).
func (c *Controller) sync(ctx context.Context) error {
	all, err := c.services.List(labels.Everything())
	if err != nil {
		return err
	}
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b *corev1.Service) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time),
			strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})
	var ours, gone []*corev1.Service
	var errs []error
	unfinalized := map[string]bool{} // Services whose finalizer could not be added
	for _, svc := range all {
		switch {
		case c.handles(svc):
			if !slices.Contains(svc.Finalizers, Finalizer) && !c.stale(svc) {
				// Before any address: a Service deleted from now on waits
				// until the lb host has let go of it. One that cannot get
				// it yet still holds its addresses in the allocation, but
				// is not programmed; the sync is retried.
				updated, err := c.setFinalizer(ctx, svc, true)
				if err != nil {
					errs = append(errs, err)
					unfinalized[svc.Namespace+"/"+svc.Name] = true
				} else {
					svc = updated
				}
			}
			ours = append(ours, svc)
		case slices.Contains(svc.Finalizers, Finalizer):
			gone = append(gone, svc)
		}
	}

	allocs := allocate(c.opts.Pools, ours, func(svc *corev1.Service) []netip.Addr {
		return append(slices.Clone(c.memory[svc.UID]), statusIPs(svc)...)
	})
	eligible := eligibleNodes(nodes)
	cfg := haproxy.Config{Dir: c.opts.Dir}
	var addrs []netip.Addr
	var plans []plan
	present := map[string]bool{}
	for _, svc := range ours {
		key := svc.Namespace + "/" + svc.Name
		present[key] = true
		al := allocs[key]
		if unfinalized[key] {
			continue
		}
		c.recordFailures(svc, key, al.failures)
		c.memory[svc.UID] = al.ips
		p := plan{svc: svc, key: key, ips: al.ips}
		p.fes, p.warnings = frontends(svc, al.ips, eligible, c.opts.Check)
		p.fp = fingerprint(p.ips, p.fes)
		plans = append(plans, p)
		addrs = append(addrs, al.ips...)
		cfg.Frontends = append(cfg.Frontends, p.fes...)
		if len(p.ips) > 0 && c.ensured[key] != p.fp {
			c.recorder.Eventf(svc, corev1.EventTypeNormal, "EnsuringLoadBalancer", "Ensuring load balancer")
			for _, w := range p.warnings {
				c.recorder.Event(svc, corev1.EventTypeWarning, "PortNotForwarded", w)
			}
		}
	}
	for key := range c.ensured {
		if !present[key] {
			delete(c.ensured, key)
		}
	}
	for uid := range c.memory {
		if !slices.ContainsFunc(ours, func(s *corev1.Service) bool { return s.UID == uid }) {
			delete(c.memory, uid)
		}
	}
	for uid := range c.written {
		if !slices.ContainsFunc(all, func(s *corev1.Service) bool { return s.UID == uid }) {
			delete(c.written, uid)
		}
	}
	for _, svc := range gone {
		if key := svc.Namespace + "/" + svc.Name; !c.deleting[key] {
			c.deleting[key] = true
			c.recorder.Eventf(svc, corev1.EventTypeNormal, "DeletingLoadBalancer", "Deleting load balancer")
		}
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	c.metrics.state(len(ours), len(cfg.Frontends), addrs)

	if err := c.prog.Apply(ctx, addrs, cfg); err != nil {
		for _, p := range plans {
			if len(p.ips) > 0 && c.ensured[p.key] != p.fp {
				c.recorder.Eventf(p.svc, corev1.EventTypeWarning, "SyncLoadBalancerFailed", "Error syncing load balancer: %v", err)
			}
		}
		return fmt.Errorf("failed to program the lb host: %w", err)
	}
	for _, p := range plans {
		if len(p.ips) > 0 && c.ensured[p.key] != p.fp {
			c.recorder.Eventf(p.svc, corev1.EventTypeNormal, "EnsuredLoadBalancer", "Ensured load balancer on %s", joinAddrs(p.ips))
		}
		c.ensured[p.key] = p.fp
		if c.stale(p.svc) {
			continue // the cache has not seen the last write yet; its event brings another sync
		}
		if _, err := c.writeStatus(ctx, p.svc, p.ips, false); err != nil {
			errs = append(errs, err)
		}
	}
	for _, svc := range gone {
		if c.stale(svc) {
			continue
		}
		if err := c.release(ctx, svc); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of the Services' writes failed; first: %w", len(errs), errs[0])
	}
	return nil
}

// recordFailures records AllocationFailed when a Service's failures
// change (not on every sync).
func (c *Controller) recordFailures(svc *corev1.Service, key string, failures []string) {
	msg := strings.Join(failures, "; ")
	if msg == c.failed[key] {
		return
	}
	if msg == "" {
		delete(c.failed, key)
		return
	}
	c.failed[key] = msg
	c.metrics.failures.Inc()
	c.log.Warn("allocation failed", "service", key, "why", msg)
	c.recorder.Event(svc, corev1.EventTypeWarning, "AllocationFailed", msg)
}

// release lets go of a Service that is no longer of the class (deleted,
// another type or class): the lb host no longer forwards it (Apply ran),
// so its pool addresses leave the status and the finalizer goes.
func (c *Controller) release(ctx context.Context, svc *corev1.Service) error {
	key := svc.Namespace + "/" + svc.Name
	if svc.DeletionTimestamp == nil {
		var err error
		if svc, err = c.writeStatus(ctx, svc, nil, true); err != nil {
			return err
		}
	}
	if _, err := c.setFinalizer(ctx, svc, false); err != nil {
		return err
	}
	delete(c.memory, svc.UID)
	delete(c.failed, key)
	delete(c.deleting, key)
	c.recorder.Eventf(svc, corev1.EventTypeNormal, "DeletedLoadBalancer", "Deleted load balancer")
	c.log.Info("released", "service", key)
	return nil
}

func joinAddrs(ips []netip.Addr) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return strings.Join(s, ", ")
}

// stale reports whether the cached svc is older than this controller's
// last write of it: writing again from it would undo that write (the API
// server refuses it for its resourceVersion; the fake clientset of the
// tests does not). resourceVersions are compared as the integers the API
// server makes them; opaque ones are never stale here.
func (c *Controller) stale(svc *corev1.Service) bool {
	w, ok := c.written[svc.UID]
	if !ok {
		return false
	}
	cached, err1 := strconv.ParseUint(svc.ResourceVersion, 10, 64)
	last, err2 := strconv.ParseUint(w, 10, 64)
	return err1 == nil && err2 == nil && cached < last
}
