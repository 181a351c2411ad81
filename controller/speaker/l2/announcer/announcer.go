package announcer

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker/l2/owner"
)

// Responder answers for the IPs it is given on one interface;
// *l2.Responder is one.
type Responder interface {
	Run(ctx context.Context) error
	Set(ips []netip.Addr)
}

// Config configures an Announcer.
type Config struct {
	Node    string
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// ServiceOf says whether the speaker announces svc, and with which
	// IPs and from which pool (the BGP mode's rules).
	ServiceOf func(svc *corev1.Service) (ips []netip.Addr, pool string, local, ok bool)
	// Interface picks the interface that answers for ip; allowed, when
	// not empty, limits the choice. Production: l2.InterfaceFor.
	Interface func(ip netip.Addr, allowed []string) (*net.Interface, error)
	// NewResponder opens a responder on ifi. Production: l2.NewResponder.
	NewResponder func(ifi *net.Interface, log *slog.Logger) (Responder, error)
	// Recorder records takeovers on the Services; nil records nothing.
	Recorder record.EventRecorder
	// Lease is the heartbeat and membership configuration.
	Lease owner.Config
	Log   *slog.Logger
}

// Announcer runs L2 mode on one node.
type Announcer struct {
	cfg  Config
	log  *slog.Logger
	kick chan struct{}

	mu         sync.Mutex
	in         Inputs
	membership *owner.Membership
	responders map[string]Responder // by interface name
	owned      []v1alpha1.L2Announcement
	active     bool // an L2Advertisement exists: informers and heartbeat run
	onStatus   func()
	ctx        context.Context // Run's: the responders stop with it
}

// New returns an Announcer; Run starts it.
func New(cfg Config) *Announcer {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Announcer{cfg: cfg, log: cfg.Log, kick: make(chan struct{}, 1), responders: map[string]Responder{}, ctx: context.Background(),
		in: Inputs{Nodes: map[string]map[string]string{}, Ready: map[string]map[string]bool{}}}
}

// OnStatusChange sets a function called (without locks held) whenever
// the owned IPs change.
func (a *Announcer) OnStatusChange(fn func()) {
	a.mu.Lock()
	a.onStatus = fn
	a.mu.Unlock()
}

// Owned returns the IPs this node answers for, sorted by IP.
func (a *Announcer) Owned() []v1alpha1.L2Announcement {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.owned)
}

func (a *Announcer) wake() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}
