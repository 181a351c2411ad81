package controller

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"github.com/lblab/lblab/controller/allocator"
	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// Queue keys other than Services ("svc:<namespace>/<name>").
const (
	keyConfig     = "config"
	keyPoolStatus = "poolstatus"
	svcPrefix     = "svc:"
)

// Controller allocates LoadBalancer addresses. Make one with New and call
// Run (or use Main, which adds leader election and metrics).
type Controller struct {
	opts     Options
	client   kubernetes.Interface
	dyn      dynamic.Interface
	recorder record.EventRecorder
	log      *slog.Logger
	metrics  *metrics

	factory    informers.SharedInformerFactory
	dynFactory dynamicinformer.DynamicSharedInformerFactory
	services   corelisters.ServiceLister
	namespaces corelisters.NamespaceLister
	crds       map[string]cache.SharedIndexInformer // by resource
	synced     []cache.InformerSynced

	queue workqueue.TypedRateLimitingInterface[string]

	mu      sync.Mutex
	alloc   *allocator.Allocator
	cfg     *config
	invalid map[string]verdict   // IPPools whose current spec is invalid, for messages
	failing map[string]bool      // Services whose last allocation failed
	uids    map[string]types.UID // for events on deleted Services
}

// New returns a controller over the given clients. recorder may be nil
// (events are then dropped).
func New(client kubernetes.Interface, dyn dynamic.Interface, recorder record.EventRecorder, log *slog.Logger, opts Options) *Controller {
	return newController(client, dyn, recorder, log, opts, newMetrics())
}

func newController(client kubernetes.Interface, dyn dynamic.Interface, recorder record.EventRecorder, log *slog.Logger, opts Options, m *metrics) *Controller {
	if recorder == nil {
		recorder = &record.FakeRecorder{}
	}
	if log == nil {
		log = slog.Default()
	}
	if opts.Workers < 1 {
		opts.Workers = 1
	}
	if opts.PoolStatusInterval <= 0 {
		opts.PoolStatusInterval = 500 * time.Millisecond
	}
	c := &Controller{
		opts: opts, client: client, dyn: dyn, recorder: recorder, log: log, metrics: m,
		factory:    informers.NewSharedInformerFactory(client, 0),
		dynFactory: dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0),
		crds:       map[string]cache.SharedIndexInformer{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "lblab-controller"}),
		alloc: allocator.New(), cfg: newConfig(), invalid: map[string]verdict{}, failing: map[string]bool{}, uids: map[string]types.UID{},
	}
	svcInf := c.factory.Core().V1().Services()
	nsInf := c.factory.Core().V1().Namespaces()
	c.services, c.namespaces = svcInf.Lister(), nsInf.Lister()
	_ = svcInf.Informer().SetTransform(trimService)
	_ = nsInf.Informer().SetTransform(stripManagedFields)
	c.synced = append(c.synced, svcInf.Informer().HasSynced, nsInf.Informer().HasSynced)
	_, _ = svcInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueService,
		UpdateFunc: func(_, obj any) { c.enqueueService(obj) },
		DeleteFunc: c.enqueueService,
	})
	_, _ = nsInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(old, obj any) {
			if o, n := old.(*corev1.Namespace), obj.(*corev1.Namespace); fmt.Sprint(o.Labels) != fmt.Sprint(n.Labels) {
				c.retryFailing()
			}
		},
		AddFunc: func(any) { c.retryFailing() },
	})
	for _, res := range []string{"ippools", "bgppeers", "bgpadvertisements", "l2advertisements"} {
		inf := c.dynFactory.ForResource(v1alpha1.GroupVersion.WithResource(res)).Informer()
		_ = inf.SetTransform(stripManagedFields)
		_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { c.queue.Add(keyConfig) },
			UpdateFunc: func(any, any) { c.queue.Add(keyConfig) },
			DeleteFunc: func(any) { c.queue.Add(keyConfig) },
		})
		c.crds[res] = inf
		c.synced = append(c.synced, inf.HasSynced)
	}
	return c
}

func (c *Controller) enqueueService(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	c.queue.Add(svcPrefix + key)
}

// retryFailing requeues every Service whose allocation failed: after a
// release, a configuration change or a namespace label change, it may
// succeed now.
func (c *Controller) retryFailing() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key := range c.failing {
		c.queue.Add(svcPrefix + key)
	}
}

// Run starts the informers, rebuilds the allocations of existing Services,
// then reconciles until ctx is done.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	c.factory.Start(ctx.Done())
	c.dynFactory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return fmt.Errorf("failed to sync the informers' caches: %w", context.Cause(ctx))
	}
	start := time.Now()
	if err := c.syncConfig(ctx); err != nil {
		c.log.Error("failed to write configuration status", "err", err)
	}
	n := c.restore()
	c.log.Info("rebuilt allocations from existing Services", "services", n, "took", time.Since(start).Round(time.Microsecond))
	for _, svc := range c.listServices() {
		c.queue.Add(svcPrefix + svc.Namespace + "/" + svc.Name)
	}
	var wg sync.WaitGroup
	for range c.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	err := c.sync(ctx, key)
	if err == nil {
		c.queue.Forget(key)
		return true
	}
	if ctx.Err() == nil {
		c.log.Warn("reconcile failed; retrying", "key", key, "err", err)
		c.queue.AddRateLimited(key)
	}
	return true
}

func (c *Controller) sync(ctx context.Context, key string) error {
	start := time.Now()
	switch key {
	case keyConfig:
		defer c.observe("config", start)
		return c.syncConfig(ctx)
	case keyPoolStatus:
		return c.syncPoolStatus(ctx)
	}
	defer c.observe("service", start)
	return c.syncService(ctx, key[len(svcPrefix):])
}

func (c *Controller) observe(kind string, start time.Time) {
	c.metrics.reconcile.WithLabelValues(kind).Observe(time.Since(start).Seconds())
}
