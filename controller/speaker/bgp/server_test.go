package bgp

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"
)

var (
	speakerV4 = netip.MustParseAddr("127.0.0.1")
	speakerV6 = netip.MustParseAddr("::1")
)

func mustCommunities(t *testing.T, ss ...string) []Community {
	t.Helper()
	cs, err := ParseCommunities(ss)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func host(s string) netip.Prefix {
	a := netip.MustParseAddr(s)
	return netip.PrefixFrom(a, a.BitLen())
}

// TestAnnounceWithdraw covers both families: the peer receives each host
// route with next-hop self (the session's local address), the speaker's AS
// as the path, and the communities; withdrawals and Set remove routes.
func TestAnnounceWithdraw(t *testing.T) {
	tests := []struct {
		name        string
		peer, self  netip.Addr
		ips         []string
		otherFamily string // an address of the other family: never sent on this session
	}{
		{"ipv4", netip.MustParseAddr("127.0.0.2"), speakerV4, []string{"198.51.100.1", "198.51.100.2"}, "2001:db8::1"},
		{"ipv6", netip.MustParseAddr("::1"), speakerV6, []string{"2001:db8::1", "2001:db8::2"}, "198.51.100.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			tor := startTestPeer(t, tt.peer, 64496, tt.self, 64500, "")
			s := startSpeaker(t, 64500, nil)
			if err := s.SetPeers(ctx, []Peer{tor.asPeer("tor", 64500)}); err != nil {
				t.Fatal(err)
			}
			waitEstablished(t, s, 1)

			a := NewAdvertisement(netip.MustParseAddr(tt.ips[0]), mustCommunities(t, "64500:1:2", "65535:65281"), 0, nil)
			b := NewAdvertisement(netip.MustParseAddr(tt.ips[1]), nil, 0, nil)
			other := NewAdvertisement(netip.MustParseAddr(tt.otherFamily), nil, 0, nil)
			if err := s.Set(ctx, a, b, other); err != nil {
				t.Fatal(err)
			}
			eventually(t, "two routes at the peer", func() bool { return len(tor.snapshot()) == 2 })
			got := tor.snapshot()[a.Prefix]
			want := received{NextHop: tt.self, ASPath: "64500", Communities: []string{"65535:65281", "64500:1:2"}}
			if got.NextHop != want.NextHop || got.ASPath != want.ASPath || !slices.Equal(got.Communities, want.Communities) {
				t.Errorf("peer got %s as %+v, want %+v", a.Prefix, got, want)
			}
			if _, ok := tor.snapshot()[other.Prefix]; ok {
				t.Errorf("%s was sent on a %s session", other.Prefix, tt.name)
			}

			if err := s.Set(ctx, b, other); err != nil {
				t.Fatal(err)
			}
			eventually(t, a.Prefix.String()+" withdrawn", func() bool {
				_, ok := tor.snapshot()[a.Prefix]
				return !ok && len(tor.snapshot()) == 1
			})
			if err := s.Withdraw(ctx, b.Prefix); err != nil {
				t.Fatal(err)
			}
			eventually(t, "no routes", func() bool { return len(tor.snapshot()) == 0 })

			sessions, err := s.Sessions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(sessions) != 1 || sessions[0].Peer != "tor" || sessions[0].UpdatesSent == 0 || sessions[0].LocalAddress != tt.self {
				t.Errorf("sessions = %+v, want one Established session to tor from %s with updates sent", sessions, tt.self)
			}
		})
	}
}

// TestAnnounceIsIncremental checks that re-announcing an equal
// advertisement sends nothing, and a changed one replaces the route. The
// session uses the peer's local AS, not the server's global one.
func TestAnnounceIsIncremental(t *testing.T) {
	ctx := context.Background()
	tor, s := connected(t, 65000)
	a := NewAdvertisement(netip.MustParseAddr("198.51.100.7"), nil, 0, nil)
	for range 3 {
		if err := s.Announce(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the route", func() bool { return len(tor.snapshot()) == 1 })
	if got := tor.snapshot()[a.Prefix].ASPath; got != "64500" {
		t.Errorf("AS path = %q, want the session's local AS 64500", got)
	}
	changed := NewAdvertisement(a.Prefix.Addr(), mustCommunities(t, "no-export"), 0, nil)
	if err := s.Announce(ctx, changed); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new community", func() bool {
		return slices.Equal(tor.snapshot()[a.Prefix].Communities, []string{"65535:65281"})
	})
	tor.mu.Lock()
	n := tor.updates
	tor.mu.Unlock()
	if n != 2 {
		t.Errorf("peer received %d paths, want 2 (the first announcement and the change)", n)
	}
}

// TestPeerSelection moves a route between two peers through
// Advertisement.Peers: the peer that loses it gets a withdrawal.
func TestPeerSelection(t *testing.T) {
	ctx := context.Background()
	red := startTestPeer(t, netip.MustParseAddr("127.0.0.2"), 64496, speakerV4, 64500, "")
	blue := startTestPeer(t, netip.MustParseAddr("127.0.0.3"), 64497, speakerV4, 64500, "")
	// Start every GoBGP server before any session carries routes: StartBgp
	// writes package globals of GoBGP that running servers read (a data
	// race inside GoBGP v4.8.0 that only shows with several servers in one
	// process).
	green := startTestPeer(t, netip.MustParseAddr("127.0.0.4"), 64498, speakerV4, 64500, "")
	s := startSpeaker(t, 64500, nil)
	if err := s.SetPeers(ctx, []Peer{red.asPeer("red", 64500), blue.asPeer("blue", 64500)}); err != nil {
		t.Fatal(err)
	}
	waitEstablished(t, s, 2)
	ip := netip.MustParseAddr("198.51.100.10")
	has := func(p *testPeer) bool { _, ok := p.snapshot()[host("198.51.100.10")]; return ok }
	steps := []struct {
		peers     []string
		red, blue bool
	}{
		{[]string{"red"}, true, false},
		{[]string{"blue"}, false, true},
		{nil, true, true},
		{[]string{"red"}, true, false},
	}
	for _, st := range steps {
		if err := s.Announce(ctx, NewAdvertisement(ip, nil, 0, st.peers)); err != nil {
			t.Fatal(err)
		}
		eventually(t, "route at red="+boolStr(st.red)+" blue="+boolStr(st.blue), func() bool {
			return has(red) == st.red && has(blue) == st.blue
		})
	}
	// A peer added later gets only what is meant for it.
	other := NewAdvertisement(netip.MustParseAddr("198.51.100.11"), nil, 0, nil)
	if err := s.Announce(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPeers(ctx, []Peer{red.asPeer("red", 64500), blue.asPeer("blue", 64500), green.asPeer("green", 64500)}); err != nil {
		t.Fatal(err)
	}
	waitEstablished(t, s, 3)
	eventually(t, "green gets only the unrestricted route", func() bool {
		_, ok := green.snapshot()[other.Prefix]
		return ok && !has(green)
	})
	if err := s.Withdraw(ctx, host("198.51.100.10")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "withdrawn from red", func() bool { return !has(red) })
}

func boolStr(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// TestLocalPrefAndPassword: an iBGP peer gets LOCAL_PREF; the session uses
// a TCP MD5 password on both ends.
func TestLocalPrefAndPassword(t *testing.T) {
	ctx := context.Background()
	ibgp := startTestPeer(t, netip.MustParseAddr("127.0.0.2"), 64500, speakerV4, 64500, "s3cret")
	var mu sync.Mutex
	var states []string
	s := startSpeaker(t, 64500, func(st SessionState) {
		mu.Lock()
		defer mu.Unlock()
		states = append(states, st.Peer+"="+st.State)
	})
	p := ibgp.asPeer("ibgp", 64500)
	p.Password = "s3cret"
	if err := s.SetPeers(ctx, []Peer{p}); err != nil {
		t.Fatal(err)
	}
	waitEstablished(t, s, 1)
	a := NewAdvertisement(netip.MustParseAddr("198.51.100.20"), nil, 150, nil)
	if err := s.Announce(ctx, a); err != nil {
		t.Fatal(err)
	}
	eventually(t, "local pref 150", func() bool { return ibgp.snapshot()[a.Prefix].LocalPref == 150 })
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(states, "ibgp=Established") {
		t.Errorf("OnSessionChange saw %v, want ibgp=Established among them", states)
	}
}

// TestSetPeersRemovesSessions: dropping a peer closes its session, and a
// changed peer is re-created.
func TestSetPeersRemovesSessions(t *testing.T) {
	ctx := context.Background()
	tor, s := connected(t, 64500)
	if err := s.Announce(ctx, NewAdvertisement(netip.MustParseAddr("198.51.100.30"), nil, 0, nil)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the route", func() bool { return len(tor.snapshot()) == 1 })
	if err := s.SetPeers(ctx, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the route gone with the session", func() bool { return len(tor.snapshot()) == 0 })
	if got := s.Peers(); len(got) != 0 {
		t.Errorf("peers = %v, want none", got)
	}
	bad := []Peer{tor.asPeer("a", 64500), tor.asPeer("b", 64500)}
	if err := s.SetPeers(ctx, bad); err == nil {
		t.Error("two peers on one address: no error")
	}
	if got := s.Peers(); len(got) != 1 || got[0].Name != "a" {
		t.Errorf("peers = %v, want only a", got)
	}
}
