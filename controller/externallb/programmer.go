package externallb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lblab/lblab/internal/haproxy"
	"github.com/lblab/lblab/internal/netaddr"
)

// Programmer puts the desired state on the lb host: exactly addrs (the
// LB IPs) among the pool addresses on the device, and HAProxy running cfg.
// Apply is called with the whole state every time.
type Programmer interface {
	Apply(ctx context.Context, addrs []netip.Addr, cfg haproxy.Config) error
}

// Local is the real Programmer, for a controller running in the lb
// host's network namespace: netlink for the addresses, a child HAProxy
// for the forwarding.
type Local struct {
	device  string
	pools   []netaddr.Range
	binary  string
	log     *slog.Logger
	onExit  func()
	mu      sync.Mutex
	proc    *haproxy.Process
	closing bool
}

// infiniteLifetime is an address lifetime of "forever".
const infiniteLifetime = 0xffffffff

// NewLocal returns the real Programmer of opts. onExit (may be nil) is
// called when HAProxy exits on its own; the next Apply starts it again.
func NewLocal(opts Options, log *slog.Logger, onExit func()) *Local {
	if log == nil {
		log = slog.Default()
	}
	return &Local{device: opts.Device, pools: opts.Pools, binary: opts.HAProxy, log: log, onExit: onExit}
}

// Apply adds the missing LB IPs to the device (IPv4 as /32, IPv6 as /128
// without duplicate address detection, so they are usable at once),
// starts or reloads HAProxy, then removes the host-length addresses of the
// device that lie in a pool but are no longer wanted. Other addresses are
// never touched.
func (l *Local) Apply(ctx context.Context, addrs []netip.Addr, cfg haproxy.Config) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	link, err := netlink.LinkByName(l.device)
	if err != nil {
		return fmt.Errorf("device %s: %w (give the lb host's interface with --device)", l.device, err)
	}
	current, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("failed to list the addresses of %s: %w", l.device, err)
	}
	have := map[netip.Addr]netlink.Addr{}
	for _, a := range current {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && a.IPNet != nil {
			if ones, bits := a.Mask.Size(); ones == bits {
				have[ip.Unmap()] = a
			}
		}
	}
	for _, ip := range addrs {
		if _, ok := have[ip]; ok {
			continue
		}
		na := &netlink.Addr{IPNet: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(ip.BitLen(), ip.BitLen())}}
		if ip.Is6() {
			// Deprecated at once (preferred 0, valid forever): the kernel
			// then never picks an LB IP as the source of HAProxy's
			// connections to the nodes (RFC 6724 rule 3), which would
			// otherwise be the newest /128 instead of the lb host's own
			// address; answering NDP and accepting connections on it are
			// unaffected. An IPv4 /32 is never chosen over the subnet's
			// primary address.
			na.Flags = unix.IFA_F_NODAD
			na.PreferedLft, na.ValidLft = 0, infiniteLifetime
		}
		if err := netlink.AddrAdd(link, na); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("failed to add %s to %s: %w", ip, l.device, err)
		}
		l.log.Info("added address", "addr", ip, "device", l.device)
	}
	if err := l.haproxy(ctx, cfg); err != nil {
		return err
	}
	for ip, a := range have {
		if slices.Contains(addrs, ip) || !slices.ContainsFunc(l.pools, func(r netaddr.Range) bool { return r.Contains(ip) }) {
			continue
		}
		if err := netlink.AddrDel(link, &a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return fmt.Errorf("failed to remove %s from %s: %w", ip, l.device, err)
		}
		l.log.Info("removed address", "addr", ip, "device", l.device)
	}
	return nil
}

// haproxy starts HAProxy, again after it died, or reloads it.
func (l *Local) haproxy(ctx context.Context, cfg haproxy.Config) error {
	if l.proc != nil {
		select {
		case <-l.proc.Done():
			l.log.Error("HAProxy exited; starting it again", "err", l.proc.Wait(), "log", l.proc.LogPath())
			l.proc = nil
		default:
			return l.proc.Apply(ctx, cfg)
		}
	}
	p, err := haproxy.Start(ctx, l.binary, cfg)
	if err != nil {
		return err
	}
	l.log.Info("started HAProxy", "pid", p.Pid(), "config", cfg.Path())
	l.proc = p
	go func() {
		<-p.Done()
		l.mu.Lock()
		closing := l.closing
		l.mu.Unlock()
		if !closing && l.onExit != nil {
			l.log.Error("HAProxy exited", "err", p.Wait())
			l.onExit()
		}
	}()
	return nil
}

// Close stops HAProxy. The LB IPs stay on the device: a restarted
// controller takes them over.
func (l *Local) Close() error {
	l.mu.Lock()
	l.closing = true
	p := l.proc
	l.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Stop()
}
