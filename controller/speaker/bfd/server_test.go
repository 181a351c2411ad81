package bfd

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

func TestNewValidates(t *testing.T) {
	v4, v6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	ll := netip.MustParseAddr("fe80::1")
	for _, cfg := range []Config{
		{Peer: v4},
		{Local: v4},
		{Local: v4, Peer: v6},
		{Local: v4, Peer: v4, MinTx: time.Nanosecond},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	s, err := New(Config{Local: ll, Peer: netip.MustParseAddr("fe80::2"), Interface: "eth1"})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config()
	if c.Local.Zone() != "eth1" || c.Peer.Zone() != "eth1" || c.MinTx != 300*ms || c.MinRx != 300*ms || c.Multiplier != 3 || c.Server == nil {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestServerDemux(t *testing.T) {
	srv := NewServer()
	local := netip.MustParseAddr("192.0.2.1")
	mk := func(peer string, discr uint32) *Session {
		s, err := New(Config{Local: local, Peer: netip.MustParseAddr(peer), Server: srv})
		if err != nil {
			t.Fatal(err)
		}
		s.localDiscr = discr
		_, pk := keysOf(s.cfg)
		srv.byDiscr[discr], srv.byPeer[pk] = s, s
		return s
	}
	a, b := mk("192.0.2.2", 10), mk("192.0.2.3", 20)
	lk := listenKey{addr: local}
	pkt := func(your uint32) *layers.BFD {
		return &layers.BFD{Version: 1, State: layers.BFDStateDown, DetectMultiplier: 3, MyDiscriminator: 7, YourDiscriminator: layers.BFDDiscriminator(your)}
	}
	tests := []struct {
		name string
		src  string
		your uint32
		want *Session
	}{
		{"by discriminator", "192.0.2.3", 20, b},
		{"by peer address", "192.0.2.2", 0, a},
		{"by peer address, mapped", "::ffff:192.0.2.3", 0, b},
		{"discriminator of another peer", "192.0.2.2", 20, nil},
		{"unknown discriminator", "192.0.2.2", 99, nil},
		{"unknown peer", "192.0.2.9", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := srv.deliver(lk, netip.MustParseAddr(tt.src), pkt(tt.your))
			var got *Session
			select {
			case <-a.rx:
				got = a
			case <-b.rx:
				got = b
			default:
			}
			if got != tt.want || (err == nil) != (tt.want != nil) {
				t.Errorf("delivered to %p (err %v), want %p", got, err, tt.want)
			}
		})
	}
}

// TestSenderSocket: a session sends from a port in 49152–65535 with TTL or
// hop limit 255 (RFC 5881 §4, §5).
func TestSenderSocket(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "::1"} {
		addr := netip.MustParseAddr(a)
		c, err := openSender(addr, "")
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		var ttl int
		if addr.Is4() {
			ttl, err = ipv4.NewPacketConn(c).TTL()
		} else {
			ttl, err = ipv6.NewPacketConn(c).HopLimit()
		}
		c.Close()
		if err != nil || ttl != 255 || port < 49152 || port > 65535 {
			t.Errorf("%s: source port %d, TTL %d (%v); want 49152–65535, 255", a, port, ttl, err)
		}
	}
}
