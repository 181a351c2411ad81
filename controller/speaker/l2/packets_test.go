package l2

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
	"golang.org/x/net/bpf"
)

var (
	ours   = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	theirs = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	lb4    = netip.MustParseAddr("10.0.0.200")
	peer4  = netip.MustParseAddr("10.0.0.2")
	lb6    = netip.MustParseAddr("fd00::c8")
	peerLL = netip.MustParseAddr("fe80::2")
)

func TestAnswerARP(t *testing.T) {
	owned := func(ip netip.Addr) bool { return ip == lb4 }
	req := func(sha net.HardwareAddr, sip, tip netip.Addr) *arp.Packet {
		return &arp.Packet{Operation: arp.OperationRequest, SenderHardwareAddr: sha, SenderIP: sip, TargetIP: tip}
	}
	for _, tc := range []struct {
		name string
		p    *arp.Packet
		want bool
	}{
		{"request for an owned IP", req(theirs, peer4, lb4), true},
		{"ARP probe (sender 0.0.0.0)", req(theirs, netip.IPv4Unspecified(), lb4), true},
		{"request for another IP", req(theirs, peer4, lb4.Next()), false},
		{"our own request", req(ours, peer4, lb4), false},
		{"someone's gratuitous ARP", req(theirs, lb4, lb4), false},
		{"a reply", &arp.Packet{Operation: arp.OperationReply, SenderHardwareAddr: theirs, SenderIP: peer4, TargetIP: lb4}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := answerARP(tc.p, ours, owned); got != tc.want {
				t.Errorf("answerARP = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGARPPackets(t *testing.T) {
	ps := garpPackets(lb4, ours)
	if len(ps) != 2 {
		t.Fatalf("got %d packets, want 2", len(ps))
	}
	for i, tc := range []struct {
		op  arp.Operation
		tha string
	}{
		{arp.OperationRequest, "00:00:00:00:00:00"},
		{arp.OperationReply, ours.String()}, // Linux wants tha == sha in a gratuitous reply
	} {
		p := ps[i]
		if p.Operation != tc.op || p.SenderIP != lb4 || p.TargetIP != lb4 ||
			p.SenderHardwareAddr.String() != ours.String() || p.TargetHardwareAddr.String() != tc.tha {
			t.Errorf("packet %d = %+v, want %s %s is-at %s, tha %s", i, p, tc.op, lb4, ours, tc.tha)
		}
		if _, err := p.MarshalBinary(); err != nil {
			t.Errorf("packet %d does not marshal: %v", i, err)
		}
	}
}

func TestAnswerNS(t *testing.T) {
	for _, tc := range []struct {
		name          string
		src           netip.Addr
		wantDst       netip.Addr
		wantSolicited bool
	}{
		{"from a neighbour", peerLL, peerLL, true},
		{"from a zoned neighbour", peerLL.WithZone("3"), peerLL.WithZone("3"), true},
		{"duplicate address detection", netip.IPv6Unspecified(), netip.IPv6LinkLocalAllNodes(), false},
		{"zoned DAD", netip.IPv6Unspecified().WithZone("3"), netip.IPv6LinkLocalAllNodes(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			na, dst := answerNS(lb6, tc.src, ours)
			if dst != tc.wantDst || na.Solicited != tc.wantSolicited || !na.Override || na.Router || na.TargetAddress != lb6 {
				t.Fatalf("answerNS = %+v to %s; want solicited=%v override to %s", na, dst, tc.wantSolicited, tc.wantDst)
			}
			if len(na.Options) != 1 {
				t.Fatalf("options = %v, want one target LLA", na.Options)
			}
			lla, ok := na.Options[0].(*ndp.LinkLayerAddress)
			if !ok || lla.Direction != ndp.Target || lla.Addr.String() != ours.String() {
				t.Errorf("option = %+v, want target LLA %s", na.Options[0], ours)
			}
			if _, err := ndp.MarshalMessage(na); err != nil {
				t.Errorf("does not marshal: %v", err)
			}
		})
	}
}

// ipv6Packet serialises an IPv6 packet around an NDP message.
func ipv6Packet(t *testing.T, src, dst netip.Addr, hops uint8, m ndp.Message) []byte {
	t.Helper()
	icmp, err := ndp.MarshalMessageChecksum(m, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	ip := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolICMPv6, HopLimit: hops, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ip, gopacket.Payload(icmp)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseNS(t *testing.T) {
	snm, _ := ndp.SolicitedNodeMulticast(lb6)
	ns := &ndp.NeighborSolicitation{TargetAddress: lb6, Options: []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: theirs}}}
	na := &ndp.NeighborAdvertisement{Solicited: true, TargetAddress: lb6}
	for _, tc := range []struct {
		name    string
		b       []byte
		wantOK  bool
		wantSrc netip.Addr
	}{
		{"multicast NS", ipv6Packet(t, peerLL, snm, 255, ns), true, peerLL},
		{"unicast NS to the LB IP (reachability probe)", ipv6Packet(t, netip.MustParseAddr("fd00::2"), lb6, 255, ns), true, netip.MustParseAddr("fd00::2")},
		{"DAD NS", ipv6Packet(t, netip.IPv6Unspecified(), snm, 255, &ndp.NeighborSolicitation{TargetAddress: lb6}), true, netip.IPv6Unspecified()},
		{"routed NS (hop limit 254)", ipv6Packet(t, peerLL, snm, 254, ns), false, netip.Addr{}},
		{"an advertisement", ipv6Packet(t, peerLL, snm, 255, na), false, netip.Addr{}},
		{"truncated", ipv6Packet(t, peerLL, snm, 255, ns)[:50], false, netip.Addr{}},
		{"short", []byte{0x60, 0}, false, netip.Addr{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, src, ok := parseNS(tc.b)
			if ok != tc.wantOK || (ok && (target != lb6 || src != tc.wantSrc)) {
				t.Errorf("parseNS = %s, %s, %v; want %s, %s, %v", target, src, ok, lb6, tc.wantSrc, tc.wantOK)
			}
		})
	}
}

func TestNSFilterAssembles(t *testing.T) {
	if _, err := bpf.Assemble(nsFilter); err != nil {
		t.Fatal(err)
	}
}
