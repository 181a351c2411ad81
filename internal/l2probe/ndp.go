package l2probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/ndp"
	"golang.org/x/net/ipv6"

	"github.com/lblab/lblab/controller/speaker/l2"
)

// ndpConn probes an IPv6 address with one Neighbor Solicitation.
type ndpConn struct {
	*ndp.Conn
	mac    net.HardwareAddr
	target netip.Addr
}

func dialNDP(ctx context.Context, ifi *net.Interface, target netip.Addr, where string) (*ndpConn, error) {
	pfx, err := prefixes(ifi)
	if err != nil {
		return nil, fmt.Errorf("l2probe: listing the addresses of %s: %w", where, err)
	}
	if !hasLinkLocal(pfx) {
		return nil, fmt.Errorf("l2probe: %s has no IPv6 link-local address to send a Neighbor Solicitation for %s from", where, target)
	}
	// Bound by index, not name: see "IPv6 zones and namespaces".
	c, err := l2.ListenLinkLocal(ctx, ifi)
	if err != nil {
		return nil, fmt.Errorf("l2probe: %s: %w", where, err)
	}
	return setupNDP(c, ifi.HardwareAddr, target, where)
}

func setupNDP(c *ndp.Conn, mac net.HardwareAddr, target netip.Addr, where string) (*ndpConn, error) {
	var f ipv6.ICMPFilter
	f.SetAll(true)
	f.Accept(ipv6.ICMPTypeNeighborAdvertisement)
	err := c.SetICMPFilter(&f)
	if err == nil {
		err = c.SetControlMessage(ipv6.FlagHopLimit, true)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("l2probe: setting up the NDP socket on %s: %w", where, err)
	}
	return &ndpConn{Conn: c, mac: mac, target: target}, nil
}

func hasLinkLocal(pfx []netip.Prefix) bool {
	for _, p := range pfx {
		if p.Addr().Is6() && p.Addr().IsLinkLocalUnicast() {
			return true
		}
	}
	return false
}

func (n *ndpConn) send() error {
	snm, err := ndp.SolicitedNodeMulticast(n.target)
	if err != nil {
		return err
	}
	ns := &ndp.NeighborSolicitation{
		TargetAddress: n.target,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: n.mac}},
	}
	return n.WriteTo(ns, nil, snm)
}

func (n *ndpConn) read() (net.HardwareAddr, error) {
	m, cm, _, err := n.ReadFrom()
	if err != nil {
		return nil, err
	}
	hops := ndp.HopLimit
	if cm != nil {
		hops = cm.HopLimit
	}
	return answerNA(m, hops, n.target), nil
}

// answerNA returns the target link-layer address of m if m is a solicited
// Neighbor Advertisement for target that came with hop limit 255, else nil.
func answerNA(m ndp.Message, hops int, target netip.Addr) net.HardwareAddr {
	na, ok := m.(*ndp.NeighborAdvertisement)
	if !ok || !na.Solicited || na.TargetAddress != target || hops != ndp.HopLimit {
		return nil
	}
	for _, o := range na.Options {
		if lla, ok := o.(*ndp.LinkLayerAddress); ok && lla.Direction == ndp.Target {
			return lla.Addr
		}
	}
	return nil
}
