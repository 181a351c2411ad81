package l2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// announceAt is when a newly owned IP is announced, counted from Set: at
// once, then again in case a neighbour missed the first.
var announceAt = []time.Duration{0, 200 * time.Millisecond, time.Second}

// Responder answers ARP requests (IPv4) and Neighbor Solicitations (IPv6)
// for the LoadBalancer IPs this node owns, on one interface.
type Responder struct {
	ifi *net.Interface
	log *slog.Logger
	arp *arp.Client     // nil: the interface has no IPv4, ARP is off
	ndp *ndp.Conn       // nil: the interface has no link-local, NDP is off
	ns  *packet.Conn    // solicitations in; set with ndp
	nl  *netlink.Handle // in the interface's namespace

	mu     sync.Mutex
	owned  map[netip.Addr]bool
	self   map[netip.Addr]bool // the interface's own addresses
	groups map[netip.Addr]int  // solicited-node group -> owned IPs in it
	closed bool

	done      chan struct{}
	wg        sync.WaitGroup // announcement repeats
	closeOnce sync.Once
}

// NewResponder opens the sockets for ifi in the calling thread's network
// namespace: ARP if ifi has an IPv4 address, NDP if it has an IPv6
// link-local address (waiting a few seconds for one still in DAD). It fails
// when neither is there.
func NewResponder(ifi *net.Interface, log *slog.Logger) (*Responder, error) {
	if ifi == nil || len(ifi.HardwareAddr) != 6 {
		return nil, errors.New("l2: need an Ethernet interface")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Responder{
		ifi: ifi, log: log.With("interface", ifi.Name),
		owned: map[netip.Addr]bool{}, groups: map[netip.Addr]int{},
		done: make(chan struct{}),
	}
	var err error
	if r.nl, err = netlink.NewHandle(unix.NETLINK_ROUTE); err != nil {
		return nil, fmt.Errorf("l2: netlink: %w", err)
	}
	if r.self, err = r.ownAddrs(); err != nil {
		r.nl.Close()
		return nil, err
	}
	if err := r.open(); err != nil {
		r.nl.Close()
		return nil, err
	}
	return r, nil
}

// open opens the ARP and NDP sockets the interface's addresses allow.
func (r *Responder) open() error {
	v4, ll := families(r.self)
	if !v4 && !ll {
		return fmt.Errorf("l2: interface %s has neither an IPv4 address (for ARP) nor an IPv6 link-local address (for NDP)", r.ifi.Name)
	}
	var err error
	if v4 {
		if r.arp, err = arp.Dial(r.ifi); err != nil {
			return fmt.Errorf("l2: opening ARP on %s: %w", r.ifi.Name, err)
		}
	}
	if ll {
		if r.ndp, err = listenNDP(r.ifi); err == nil {
			if r.ns, err = listenNS(r.ifi); err != nil {
				r.ndp.Close()
				r.ndp = nil
			}
		}
		if err != nil {
			if r.arp != nil {
				r.arp.Close()
			}
			return err
		}
	}
	r.log.Info("L2 responder ready", "arp", v4, "ndp", ll, "mac", r.ifi.HardwareAddr.String())
	return nil
}

// Run serves until ctx ends or a socket fails, then closes the Responder.
// It returns nil when ctx ended.
func (r *Responder) Run(ctx context.Context) error {
	errc := make(chan error, 2)
	n := 0
	if r.arp != nil {
		n++
		go func() { errc <- r.serveARP() }()
	}
	if r.ndp != nil {
		n++
		go func() { errc <- r.serveNDP() }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		n--
	}
	r.Close()
	for ; n > 0; n-- {
		err = errors.Join(err, <-errc)
	}
	return err
}

// Close stops answering and announcing and closes the sockets. Run calls it;
// call it yourself only for a Responder that never runs.
func (r *Responder) Close() {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		clear(r.owned)
		r.mu.Unlock()
		close(r.done)
		r.wg.Wait()
		if r.arp != nil {
			r.arp.Close()
		}
		if r.ndp != nil {
			r.ndp.Close() // leaves the groups
			r.ns.Close()
		}
		r.nl.Close()
	})
}

func (r *Responder) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Owned returns the IPs answered for, sorted (none once closed).
func (r *Responder) Owned() []netip.Addr {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]netip.Addr, 0, len(r.owned))
	for ip := range r.owned {
		out = append(out, ip)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

func (r *Responder) isOwned(ip netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.owned[ip]
}
