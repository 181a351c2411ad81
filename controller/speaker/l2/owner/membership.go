package owner

import (
	"context"
	"fmt"
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Membership follows the speaker Leases and knows which nodes are live.
type Membership struct {
	client   kubernetes.Interface
	cfg      Config
	onChange func(live []string)
	kick     chan struct{}

	mu     sync.Mutex
	v      *view
	synced bool
}

// NewMembership returns a Membership; Run starts it. onChange (may be nil)
// is called from Run's goroutine, one call at a time, with the sorted live
// set: once when the Leases are first listed, then on every change.
func NewMembership(client kubernetes.Interface, cfg Config, onChange func(live []string)) *Membership {
	cfg = cfg.withDefaults()
	return &Membership{client: client, cfg: cfg, onChange: onChange,
		kick: make(chan struct{}, 1), v: newView(cfg)}
}

// Live returns the live nodes, sorted; empty until HasSynced.
func (m *Membership) Live() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.v.live)
}

// IsLive reports whether node is in Live.
func (m *Membership) IsLive(node string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := slices.BinarySearch(m.v.live, node)
	return ok
}

// HasSynced reports whether the Leases were listed and the live set is
// known. A speaker must not claim IPs before: it would see only itself.
func (m *Membership) HasSynced() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.synced
}

// Stale reports whether the partition guard holds the live set: no renewal
// was seen for StaleAfter.
func (m *Membership) Stale() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.v.stale(m.cfg.Clock.Now())
}

// Run watches the Leases and keeps the live set until ctx ends. It returns
// an error only if the Leases cannot be listed before ctx ends.
func (m *Membership) Run(ctx context.Context) error {
	f := informers.NewSharedInformerFactoryWithOptions(m.client, 0,
		informers.WithNamespace(m.cfg.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = LabelComponent + "=" + ComponentLease
		}))
	inf := f.Coordination().V1().Leases().Informer()
	reg, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    m.observe,
		UpdateFunc: func(_, o any) { m.observe(o) },
		DeleteFunc: m.forget,
	})
	if err != nil {
		return fmt.Errorf("speaker lease informer: %w", err)
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), reg.HasSynced) {
		return fmt.Errorf("speaker leases in %s not listed: %w", m.cfg.Namespace, ctx.Err())
	}
	m.mu.Lock()
	m.synced = true
	m.mu.Unlock()
	m.loop(ctx)
	return nil
}
