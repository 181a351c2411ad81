package bgp

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/osrg/gobgp/v4/api"
)

// A session the peer resets (as a TOR does when its hold timer expires)
// comes back through a re-added peer, with the routes sent again; a peer
// that SetPeers removes is not re-added.
func TestFailedSessionIsRepeered(t *testing.T) {
	defer func(d time.Duration) { repeerMinUptime = d }(repeerMinUptime)
	repeerMinUptime = 0
	ctx := context.Background()
	tor, s := connected(t, 64500)
	adv := NewAdvertisement(netip.MustParseAddr("198.51.100.40"), nil, 0, nil)
	if err := s.Announce(ctx, adv); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the route", func() bool { return len(tor.snapshot()) == 1 })

	if err := tor.s.ResetPeer(ctx, &api.ResetPeerRequest{Address: speakerV4.String()}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the session to fail and the peer to be re-added", func() bool { return s.Repeers() == 1 })
	waitEstablished(t, s, 1)
	eventually(t, "the route sent again", func() bool { return len(tor.snapshot()) == 1 })
	if got := s.Peers(); len(got) != 1 || got[0] != tor.asPeer("tor", 64500) {
		t.Errorf("peers after the re-add = %+v, want the same tor", got)
	}

	if err := s.SetPeers(ctx, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the route gone with the session", func() bool { return len(tor.snapshot()) == 0 })
	if got := s.Peers(); len(got) != 0 || s.Repeers() != 1 {
		t.Errorf("after SetPeers(nil): peers %v, %d re-adds; want none and still 1", got, s.Repeers())
	}
}

func TestFailed(t *testing.T) {
	tests := []struct {
		from, to string
		uptime   time.Duration
		want     bool
	}{
		{Established, "Idle", time.Minute, true},
		{Established, "Idle", repeerMinUptime, true},
		{Established, "Idle", repeerMinUptime - time.Second, false}, // flapping: GoBGP paces it
		{"Active", "Idle", time.Minute, false},                      // never came up
		{Established, "Active", time.Minute, false},
		{"Idle", "Active", time.Minute, false},
	}
	for _, tt := range tests {
		if got := failed(tt.from, tt.to, tt.uptime); got != tt.want {
			t.Errorf("failed(%s → %s after %s) = %v, want %v", tt.from, tt.to, tt.uptime, got, tt.want)
		}
	}
}
