package speaker

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker/bgp"
)

// Announcer is the BGP layer as the speaker uses it; *bgp.Server is one.
type Announcer interface {
	SetPeers(ctx context.Context, peers []bgp.Peer) error
	Announce(ctx context.Context, advs ...bgp.Advertisement) error
	Withdraw(ctx context.Context, prefixes ...netip.Prefix) error
	Set(ctx context.Context, advs ...bgp.Advertisement) error
	Advertised() []bgp.Advertisement
	Sessions(ctx context.Context) ([]bgp.SessionState, error)
	Stop()
}

// BGPConfig is what the speaker knows when it starts the BGP layer.
type BGPConfig struct {
	RouterID        netip.Addr
	ASN             uint32
	OnSessionChange func(bgp.SessionState)
}

// Config configures a Speaker.
type Config struct {
	// Node is the name of the node the speaker runs on.
	Node string
	// Client and Dynamic reach the API server (Dynamic for the lblab.dev
	// resources, which have no generated clientset).
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// StartBGP starts the BGP layer once the node's router ID and ASN are
	// known. Production passes a function that calls bgp.Start.
	StartBGP func(ctx context.Context, c BGPConfig) (Announcer, error)
	// Log receives the speaker's log lines; they do not repeat the node
	// name, so give a logger that carries it.
	Log *slog.Logger
	// Metrics, if set, is updated as the speaker works.
	Metrics *Metrics
	// StatusInterval is the least time between two writes of the
	// SpeakerStatus object; 0 means one second.
	StatusInterval time.Duration
	// L2, if set, runs L2 mode beside BGP (it idles until an
	// L2Advertisement exists); its owned IPs go into SpeakerStatus.
	L2 L2Announcer
	// SourceAddrs are addresses of the node the BGP sessions speak from:
	// at most one IPv4 and one IPv6 address (see CheckSourceAddrs). A
	// session to a peer of a family binds that family's address, which is
	// then the next hop the peer gets; a peer of another family keeps the
	// kernel's choice. The IPv4 address is also the router ID, in place
	// of the node's InternalIP. This lets a second speaker on the node
	// (MetalLB's) peer with the same TOR from the node's primary address.
	SourceAddrs []netip.Addr
}

// L2Announcer is L2 mode as the speaker runs it; *announcer.Announcer is
// one.
type L2Announcer interface {
	Run(ctx context.Context) error
	Owned() []v1alpha1.L2Announcement
	OnStatusChange(fn func())
}

// ServiceOf says whether the speaker announces svc (a LoadBalancer
// Service of the bundled controller with an IP), and with which IPs, from
// which pool and whether its externalTrafficPolicy is Local: L2 mode
// follows the same rules as BGP.
func ServiceOf(svc *corev1.Service) (ips []netip.Addr, pool string, local, ok bool) {
	s, ok := serviceFrom(svc)
	return s.ips, s.pool, s.local, ok
}

// Speaker announces this node's LoadBalancer IPs.
type Speaker struct {
	cfg Config
	log *slog.Logger

	ctx context.Context // Run's; the BGP layer's calls use it

	mu  sync.Mutex
	ann Announcer // nil until the BGP layer runs
	st  state
	// retry is set while an apply failed; a timer reconciles everything.
	retry *time.Timer

	statusKick chan struct{}
}

// New returns a speaker; Run starts it.
func New(cfg Config) (*Speaker, error) {
	switch {
	case cfg.Node == "":
		return nil, errors.New("no node name: pass --node or set NODE_NAME")
	case cfg.Client == nil || cfg.Dynamic == nil:
		return nil, errors.New("no Kubernetes client")
	case cfg.StartBGP == nil:
		return nil, errors.New("no BGP layer")
	}
	if err := CheckSourceAddrs(cfg.SourceAddrs); err != nil {
		return nil, err
	}
	srcs := make([]netip.Addr, len(cfg.SourceAddrs))
	for i, a := range cfg.SourceAddrs {
		srcs[i] = a.Unmap()
	}
	cfg.SourceAddrs = srcs
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.StatusInterval == 0 {
		cfg.StatusInterval = time.Second
	}
	return &Speaker{cfg: cfg, log: cfg.Log, ctx: context.Background(), st: newState(cfg.Node), statusKick: make(chan struct{}, 1)}, nil
}

// routerID is the IPv4 source address if there is one (Config.SourceAddrs),
// else the node's IPv4 InternalIP. An IPv6-only node gets an ID derived
// from its first address (the low 32 bits, with the first octet forced
// into 10.0.0.0/8 so it never reads as 0.x.x.x), stable across restarts
// and distinct between nodes of one subnet; a node without addresses one
// hashed from its name.
func routerID(sources, ips []netip.Addr, node string) netip.Addr {
	if a := sourceRouterID(sources); a.IsValid() {
		return a
	}
	for _, a := range ips {
		if a.Is4() {
			return a
		}
	}
	var b [4]byte
	if len(ips) > 0 {
		s := ips[0].As16()
		copy(b[:], s[12:])
	} else {
		h := fnv.New32a()
		h.Write([]byte(node))
		b = [4]byte(h.Sum(nil))
	}
	b[0] = 10
	if b == [4]byte{10, 0, 0, 0} {
		b[3] = 1
	}
	return netip.AddrFrom4(b)
}

// defaultASN is the GoBGP global AS when no BGPPeer selects the node yet.
// Sessions always use their BGPPeer's myASN, so it is never on the wire.
const defaultASN = 64512

func (s *Speaker) onSessionChange(st bgp.SessionState) {
	s.log.Info("BGP session changed", "peer", st.Peer, "address", st.Address, "state", st.State, "bfd", st.BFD)
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.session(st)
	}
	s.kickStatus()
}

func (s *Speaker) kickStatus() {
	select {
	case s.statusKick <- struct{}{}:
	default:
	}
}
