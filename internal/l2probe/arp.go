package l2probe

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
)

// arpConn probes an IPv4 address with one broadcast ARP request.
type arpConn struct {
	*arp.Client
	mac         net.HardwareAddr
	src, target netip.Addr
}

func dialARP(ifi *net.Interface, target netip.Addr, where string) (*arpConn, error) {
	pfx, err := prefixes(ifi)
	if err != nil {
		return nil, fmt.Errorf("l2probe: listing the addresses of %s: %w", where, err)
	}
	src, ok := sourceFor(target, pfx)
	if !ok {
		return nil, fmt.Errorf("l2probe: %s has no IPv4 address to send an ARP request for %s from", where, target)
	}
	c, err := arp.Dial(ifi)
	if err != nil {
		return nil, fmt.Errorf("l2probe: opening an ARP socket on %s: %w", where, err)
	}
	return &arpConn{Client: c, mac: ifi.HardwareAddr, src: src, target: target}, nil
}

// sourceFor picks the sender IPv4: the interface's address whose subnet
// holds target, else its first IPv4 address.
func sourceFor(target netip.Addr, pfx []netip.Prefix) (netip.Addr, bool) {
	var first netip.Addr
	for _, p := range pfx {
		if !p.Addr().Is4() {
			continue
		}
		if p.Contains(target) {
			return p.Addr(), true
		}
		if !first.IsValid() {
			first = p.Addr()
		}
	}
	return first, first.IsValid()
}

func (a *arpConn) send() error {
	zero := make(net.HardwareAddr, len(a.mac))
	p, err := arp.NewPacket(arp.OperationRequest, a.mac, a.src, zero, a.target)
	if err != nil {
		return err
	}
	return a.WriteTo(p, ethernet.Broadcast)
}

func (a *arpConn) read() (net.HardwareAddr, error) {
	p, _, err := a.Read()
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) {
			return nil, err
		}
		return nil, nil // a malformed ARP packet: not ours to fail on
	}
	if !answersARP(p, a.mac, a.src, a.target) {
		return nil, nil
	}
	return p.SenderHardwareAddr, nil
}

// answersARP tells whether p is a reply to our request (from us, at src)
// for target.
func answersARP(p *arp.Packet, mac net.HardwareAddr, src, target netip.Addr) bool {
	return p.Operation == arp.OperationReply &&
		p.SenderIP == target &&
		p.TargetIP == src &&
		!bytes.Equal(p.SenderHardwareAddr, mac)
}
