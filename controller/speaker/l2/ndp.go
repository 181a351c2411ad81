package l2

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// DADWait bounds how long ListenLinkLocal waits for a tentative
// link-local address.
const DADWait = 5 * time.Second

// ListenLinkLocal opens an NDP socket (ICMPv6, hop limit 255) bound to
// ifi's link-local address, retrying every 100 ms while the address is
// tentative (bind fails with EADDRNOTAVAIL), for up to DADWait or until
// ctx ends. The interface is named by its index, not its name: see
// "Namespaces". The probe of verify's l2-owner opens its socket here too.
func ListenLinkLocal(ctx context.Context, ifi *net.Interface) (*ndp.Conn, error) {
	zi := *ifi
	zi.Name = strconv.Itoa(ifi.Index)
	deadline := time.Now().Add(DADWait)
	for {
		c, _, err := ndp.Listen(&zi, ndp.LinkLocal)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, syscall.EADDRNOTAVAIL) || time.Now().After(deadline) {
			return nil, fmt.Errorf("opening NDP on %s's link-local address (tentative for over %s?): %w", ifi.Name, DADWait, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// listenNDP opens the socket NDP answers are sent from and groups are
// joined on. It reads nothing (the filter blocks all): solicitations come
// in through listenNS.
func listenNDP(ifi *net.Interface) (*ndp.Conn, error) {
	c, err := ListenLinkLocal(context.Background(), ifi)
	if err != nil {
		return nil, fmt.Errorf("l2: %w", err)
	}
	var f ipv6.ICMPFilter
	f.SetAll(true)
	if err := c.SetICMPFilter(&f); err != nil {
		c.Close()
		return nil, fmt.Errorf("l2: setting up NDP on %s: %w", ifi.Name, err)
	}
	return c, nil
}

// nsFilter passes incoming IPv6 packets whose next header is ICMPv6 and
// whose ICMPv6 type is Neighbor Solicitation (135), on a cooked packet
// socket where offset 0 is the IPv6 header.
var nsFilter = []bpf.Instruction{
	bpf.LoadExtension{Num: bpf.ExtType},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipTrue: 5},
	bpf.LoadAbsolute{Off: 6, Size: 1},
	bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: unix.IPPROTO_ICMPV6, SkipTrue: 3},
	bpf.LoadAbsolute{Off: ipv6.HeaderLen, Size: 1},
	bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(ipv6.ICMPTypeNeighborSolicitation), SkipTrue: 1},
	bpf.RetConstant{Val: 1 << 16},
	bpf.RetConstant{Val: 0},
}

// listenNS opens the socket solicitations are read from: AF_PACKET, so
// that it also sees solicitations sent unicast to an owned IP, which the
// kernel would not hand an ICMPv6 socket (the IP is not local).
func listenNS(ifi *net.Interface) (*packet.Conn, error) {
	raw, err := bpf.Assemble(nsFilter)
	if err != nil {
		return nil, err
	}
	c, err := packet.Listen(ifi, packet.Datagram, unix.ETH_P_IPV6, &packet.Config{Filter: raw})
	if err != nil {
		return nil, fmt.Errorf("l2: opening a packet socket for NDP on %s: %w", ifi.Name, err)
	}
	return c, nil
}

// serveNDP answers Neighbor Solicitations for owned IPv6s until the socket
// closes.
func (r *Responder) serveNDP() error {
	buf := make([]byte, max(r.ifi.MTU, 1500))
	for {
		n, _, err := r.ns.ReadFrom(buf)
		if err != nil {
			if r.isClosed() {
				return nil
			}
			if err := r.readError("NDP", err); err != nil {
				return err
			}
			continue
		}
		target, src, ok := parseNS(buf[:n])
		if !ok || !r.isOwned(target) {
			continue
		}
		na, dst := answerNS(target, src, r.ifi.HardwareAddr)
		if err := r.ndp.WriteTo(na, nil, dst); err != nil {
			r.log.Warn("neighbor advertisement failed", "ip", target, "to", dst, "err", err)
		}
	}
}

// parseNS returns the target and source of b, an IPv6 packet, if it is a
// Neighbor Solicitation with hop limit 255 (else it may have been routed).
func parseNS(b []byte) (target, src netip.Addr, ok bool) {
	h, err := ipv6.ParseHeader(b)
	if err != nil || h.Version != 6 || h.NextHeader != unix.IPPROTO_ICMPV6 ||
		h.HopLimit != ndp.HopLimit || len(b) < ipv6.HeaderLen+h.PayloadLen {
		return target, src, false
	}
	m, err := ndp.ParseMessage(b[ipv6.HeaderLen : ipv6.HeaderLen+h.PayloadLen])
	if err != nil {
		return target, src, false
	}
	ns, ok := m.(*ndp.NeighborSolicitation)
	if !ok {
		return target, src, false
	}
	src, _ = netip.AddrFromSlice(h.Src)
	return ns.TargetAddress, src, true
}

// answerNS builds the advertisement answering a solicitation for target
// from src, and where it goes: back to src, solicited; or, for duplicate
// address detection (src ::), to all nodes and unsolicited (RFC 4861
// 7.2.4), which tells the prober the address is taken.
func answerNS(target, src netip.Addr, mac net.HardwareAddr) (*ndp.NeighborAdvertisement, netip.Addr) {
	na := &ndp.NeighborAdvertisement{
		Override:      true,
		TargetAddress: target,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}},
	}
	if src.WithZone("").IsUnspecified() {
		return na, netip.IPv6LinkLocalAllNodes()
	}
	na.Solicited = true
	return na, src
}

// unsolicitedNA tells all nodes that ip is at our MAC, overriding their
// cached entry.
func (r *Responder) unsolicitedNA(ip netip.Addr) error {
	na := &ndp.NeighborAdvertisement{
		Override:      true,
		TargetAddress: ip,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: r.ifi.HardwareAddr}},
	}
	return r.ndp.WriteTo(na, nil, netip.IPv6LinkLocalAllNodes())
}
