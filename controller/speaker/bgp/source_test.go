package bgp

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// TestLocalAddress: a session with a LocalAddress arrives at the peer from
// that address (the test peer accepts only that neighbour address), which
// is also the next hop of the routes and the session's LocalAddress. All
// of 127.0.0.0/8 is local on Linux, so no root is needed.
func TestLocalAddress(t *testing.T) {
	tests := []struct {
		name       string
		peer, from netip.Addr
	}{
		{"alias", netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.9")},
		{"another alias", netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.1.2.3")},
		{"ipv6", speakerV6, speakerV6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			tor := startTestPeer(t, tt.peer, 64496, tt.from, 64500, "")
			s := startSpeaker(t, 64500, nil)
			p := tor.asPeer("tor", 64500)
			p.LocalAddress = tt.from
			if err := s.SetPeers(ctx, []Peer{p}); err != nil {
				t.Fatal(err)
			}
			waitEstablished(t, s, 1)
			ip := "198.51.100.50"
			if tt.peer.Is6() {
				ip = "2001:db8::50"
			}
			a := NewAdvertisement(netip.MustParseAddr(ip), nil, 0, nil)
			if err := s.Announce(ctx, a); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the route at the peer", func() bool { return len(tor.snapshot()) == 1 })
			if got := tor.snapshot()[a.Prefix].NextHop; got != tt.from {
				t.Errorf("next hop %s, want the local address %s", got, tt.from)
			}
			st, err := s.Sessions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != 1 || st[0].LocalAddress != tt.from {
				t.Errorf("sessions = %+v, want one from %s", st, tt.from)
			}
		})
	}
}

func TestPeerLocalAddressFamily(t *testing.T) {
	tests := []struct {
		addr, local string
		want        string // error; empty: none
	}{
		{"10.89.1.1", "", ""},
		{"10.89.1.1", "10.89.1.111", ""},
		{"10.89.1.1", "::ffff:10.89.1.111", ""},
		{"fd00::1", "fd00::111", ""},
		{"10.89.1.1", "fd00::111", "local address fd00::111 is not of the family of the peer's address 10.89.1.1"},
		{"fd00::1", "10.89.1.111", "local address 10.89.1.111 is not of the family of the peer's address fd00::1"},
	}
	for _, tt := range tests {
		p := Peer{Name: "tor", Address: netip.MustParseAddr(tt.addr), ASN: 64496, LocalASN: 64500}
		if tt.local != "" {
			p.LocalAddress = netip.MustParseAddr(tt.local)
		}
		err := p.validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("peer %s from %s: error %v, want %q", tt.addr, tt.local, err, tt.want)
		}
	}
}
