package l2

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
)

// serveARP answers ARP requests for owned IPv4s until the socket closes.
func (r *Responder) serveARP() error {
	for {
		p, _, err := r.arp.Read()
		if err != nil {
			if r.isClosed() {
				return nil
			}
			if err := r.readError("ARP", err); err != nil {
				return err
			}
			continue
		}
		if !answerARP(p, r.ifi.HardwareAddr, r.isOwned) {
			continue
		}
		if err := r.arp.Reply(p, r.ifi.HardwareAddr, p.TargetIP); err != nil {
			r.log.Warn("ARP reply failed", "ip", p.TargetIP, "to", p.SenderIP, "err", err)
		}
	}
}

// answerARP tells whether p is a request, from someone else, for an owned
// IP. A gratuitous ARP from someone else for an owned IP is a conflict, not
// a question: it is not answered.
func answerARP(p *arp.Packet, mac net.HardwareAddr, owned func(netip.Addr) bool) bool {
	return p.Operation == arp.OperationRequest &&
		!bytes.Equal(p.SenderHardwareAddr, mac) &&
		p.SenderIP != p.TargetIP &&
		owned(p.TargetIP)
}

// gratuitousARP broadcasts ip as ours twice: as an ARP request (RFC 5227
// announcement) and as a reply with target MAC = sender MAC (the form Linux
// takes as gratuitous, overriding an entry younger than its locktime).
func (r *Responder) gratuitousARP(ip netip.Addr) error {
	for _, p := range garpPackets(ip, r.ifi.HardwareAddr) {
		if err := r.arp.WriteTo(p, ethernet.Broadcast); err != nil {
			return fmt.Errorf("gratuitous ARP %s: %w", p.Operation, err)
		}
	}
	return nil
}

func garpPackets(ip netip.Addr, mac net.HardwareAddr) []*arp.Packet {
	req, _ := arp.NewPacket(arp.OperationRequest, mac, ip, make(net.HardwareAddr, len(mac)), ip)
	rep, _ := arp.NewPacket(arp.OperationReply, mac, ip, mac, ip)
	return []*arp.Packet{req, rep}
}

// readError sorts a read error: nil to go on (a malformed packet, or the
// interface down for a moment), else the error that ends Run.
func (r *Responder) readError(proto string, err error) error {
	var oe *net.OpError
	if !errors.As(err, &oe) {
		return nil // unparsable packet
	}
	if errors.Is(err, syscall.ENETDOWN) {
		r.log.Warn(proto+" read: interface down", "err", err)
		select {
		case <-r.done:
		case <-time.After(100 * time.Millisecond):
		}
		return nil
	}
	return fmt.Errorf("l2: reading %s on %s: %w", proto, r.ifi.Name, err)
}
