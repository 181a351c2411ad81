package bfd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// listener is one UDP socket on a local address's port 3784 that reports
// each packet's TTL or hop limit.
type listener struct {
	key  listenKey
	refs int
	conn *net.UDPConn
	p4   *ipv4.PacketConn
	p6   *ipv6.PacketConn
}

func network(a netip.Addr) string {
	if a.Is4() {
		return "udp4"
	}
	return "udp6"
}

func listen(k listenKey, port int) (*listener, error) {
	lc := net.ListenConfig{Control: bindToDevice(k.ifname)}
	addr := netip.AddrPortFrom(k.addr, uint16(port)).String()
	c, err := lc.ListenPacket(context.Background(), network(k.addr), addr)
	if err != nil {
		return nil, fmt.Errorf("bfd: failed to listen on %s: %w", addr, err)
	}
	l := &listener{key: k, conn: c.(*net.UDPConn)}
	if k.addr.Is4() {
		l.p4 = ipv4.NewPacketConn(l.conn)
		err = l.p4.SetControlMessage(ipv4.FlagTTL, true)
	} else {
		l.p6 = ipv6.NewPacketConn(l.conn)
		err = l.p6.SetControlMessage(ipv6.FlagHopLimit, true)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("bfd: failed to ask for the TTL on %s: %w", addr, err)
	}
	return l, nil
}

// readFrom returns a packet's length, TTL or hop limit (-1 if unknown) and
// source address.
func (l *listener) readFrom(b []byte) (n, ttl int, src netip.Addr, err error) {
	var from net.Addr
	ttl = -1
	if l.p4 != nil {
		var cm *ipv4.ControlMessage
		n, cm, from, err = l.p4.ReadFrom(b)
		if cm != nil {
			ttl = cm.TTL
		}
	} else {
		var cm *ipv6.ControlMessage
		n, cm, from, err = l.p6.ReadFrom(b)
		if cm != nil {
			ttl = cm.HopLimit
		}
	}
	if u, ok := from.(*net.UDPAddr); ok {
		src = u.AddrPort().Addr()
	}
	return n, ttl, src, err
}

func (l *listener) close() { l.conn.Close() }

// openSender opens a session's sending socket: bound to local and a source
// port in 49152–65535 that it keeps for its life (RFC 5881 §4), sending
// with TTL or hop limit 255.
func openSender(local netip.Addr, ifname string) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: bindToDevice(ifname)}
	var lastErr error
	for range 64 {
		port := minSourcePort + rand.IntN(maxSourcePort-minSourcePort+1)
		c, err := lc.ListenPacket(context.Background(), network(local), netip.AddrPortFrom(local, uint16(port)).String())
		if errors.Is(err, syscall.EADDRINUSE) {
			lastErr = err
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("bfd: failed to open a socket on %s: %w", local, err)
		}
		conn := c.(*net.UDPConn)
		if local.Is4() {
			err = ipv4.NewPacketConn(conn).SetTTL(requiredTTL)
		} else {
			err = ipv6.NewPacketConn(conn).SetHopLimit(requiredTTL)
		}
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("bfd: failed to set TTL 255 on %s: %w", local, err)
		}
		return conn, nil
	}
	return nil, fmt.Errorf("bfd: no free source port on %s: %w", local, lastErr)
}
