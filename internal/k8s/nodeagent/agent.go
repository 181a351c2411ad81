package nodeagent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// workers sync pods in parallel; most of their time is spent waiting for
// the API server.
const workers = 8

// Deps are the agent's connections to the world; tests pass fakes.
type Deps struct {
	Client  kubernetes.Interface
	Network Network
	Runtime Runtime
	Prober  Prober // nil: real TCP and HTTP checks
	Log     *slog.Logger
	// User and group nginx runs as; zero looks up www-data (or nobody).
	UID, GID int
}

// Agent is one node's agent.
type Agent struct {
	cfg    Config
	client kubernetes.Interface
	net    Network
	rt     Runtime
	prober Prober
	log    *slog.Logger
	mach   machine
	uid    int
	gid    int
	ipam   *ipam
	wiring wiring

	queue     workqueue.TypedRateLimitingInterface[string]
	podLister corelisters.PodLister
	podSynced cache.InformerSynced
	recorder  record.EventRecorder

	mu     sync.Mutex
	states map[string]*podState   // by pod key
	probes map[string]*probeEntry // by container ID
	// finalized remembers deletions the agent finalized, for a minute.
	finalized map[types.UID]time.Time

	nodes      nodeView
	statusKick chan struct{}
}

// New returns an agent; Run starts it.
func New(cfg Config, d Deps) (*Agent, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Agent{
		cfg: cfg, client: d.Client, net: d.Network, rt: d.Runtime, prober: d.Prober, log: d.Log,
		uid: d.UID, gid: d.GID,
		ipam:      newIPAM(filepath.Join(cfg.RunDir, "ipam")),
		states:    map[string]*podState{},
		probes:    map[string]*probeEntry{},
		finalized: map[types.UID]time.Time{},

		statusKick: make(chan struct{}, 1),
	}
	a.wiring = newWiring(a, d.Network)
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if a.prober == nil {
		a.prober = netProber{}
	}
	if a.uid == 0 {
		uid, gid, err := lookupUser()
		if err != nil {
			return nil, err
		}
		a.uid, a.gid = uid, gid
	}
	a.mach = readMachine()
	a.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](100*time.Millisecond, 10*time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "pods"})
	return a, nil
}

// Run registers the node, runs its pods until ctx ends and returns. Pods
// keep running after it returns, as they do when a kubelet stops.
func (a *Agent) Run(ctx context.Context) error {
	defer a.queue.ShutDown()
	if err := os.MkdirAll(filepath.Join(a.cfg.RunDir, "pods"), 0o755); err != nil {
		return fmt.Errorf("failed to create the run dir: %w", err)
	}
	if a.uid != os.Geteuid() {
		if err := checkSearchable(a.cfg.RunDir); err != nil {
			return err
		}
	}
	if err := a.net.Init(); err != nil {
		return err
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: a.client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	a.recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "lblab-node-agent", Host: a.cfg.Node})

	start := time.Now()
	node, err := a.register(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	a.nodes.setSelf(node)
	a.log.Info("registered node", "took", time.Since(start).Round(time.Millisecond))
	go a.runLease(ctx)
	if err := a.startInformers(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if err := a.adopt(); err != nil {
		a.log.Error("failed to reconcile pods left by an earlier agent", "err", err)
	}
	go a.nodeStatusLoop(ctx)
	go a.resyncLoop(ctx)
	for range workers {
		go a.worker(ctx)
	}
	<-ctx.Done()
	a.stopAllProbes()
	a.log.Info("stopping; pods keep running")
	return nil
}

func (a *Agent) worker(ctx context.Context) {
	for {
		key, quit := a.queue.Get()
		if quit {
			return
		}
		after, err := a.syncPod(ctx, key)
		switch {
		case err != nil:
			a.log.Error("failed to sync pod", "pod", key, "err", err)
			a.queue.AddRateLimited(key)
		default:
			a.queue.Forget(key)
			if after > 0 {
				a.queue.AddAfter(key, after)
			}
		}
		a.queue.Done(key)
	}
}

// resyncLoop re-checks every pod now and then: adopted processes have no
// exit notification, and back-offs and deadlines expire.
func (a *Agent) resyncLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.Resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.enqueueAll()
		}
	}
}

func (a *Agent) enqueueAll() {
	pods, _ := a.podLister.List(everything)
	for _, p := range pods {
		a.queue.Add(podKey(p.Namespace, p.Name))
	}
	a.mu.Lock()
	for k := range a.states {
		a.queue.Add(k)
	}
	a.mu.Unlock()
}

func podKey(namespace, name string) string { return namespace + "/" + name }

func (a *Agent) state(key string) *podState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.states[key]
}

func (a *Agent) setState(key string, s *podState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s == nil {
		delete(a.states, key)
		return
	}
	a.states[key] = s
}
