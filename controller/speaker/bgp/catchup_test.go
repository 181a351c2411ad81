package bgp

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestCatchUp: routes that change just as a session comes up reach the
// peer before the session counts as Established. GoBGP v4.8.0 can skip a
// peer for an AddPath or DeletePath made right after it reports the
// session Established (see catchup.go); that gap is too short to hit on
// purpose, so here the TOR misses those UPDATEs instead, which leaves it
// where GoBGP's gap does: without a route announced since the session came
// up, and with one withdrawn since.
func TestCatchUp(t *testing.T) {
	ctx := context.Background()
	tor := startTestPeer(t, netip.MustParseAddr("127.0.0.2"), 64496, speakerV4, 64500, "")
	s := startSpeaker(t, 64500, nil)
	kept := NewAdvertisement(netip.MustParseAddr("198.51.100.50"), nil, 0, nil)
	gone := NewAdvertisement(netip.MustParseAddr("198.51.100.51"), nil, 0, nil)
	added := NewAdvertisement(netip.MustParseAddr("198.51.100.52"), nil, 0, nil)
	if err := s.Announce(ctx, kept, gone); err != nil {
		t.Fatal(err)
	}
	change := func(addr netip.Addr) error {
		// Wait out GoBGP's own gap, so that the TOR misses exactly these
		// two UPDATEs, and let them arrive before the session is caught up.
		for !s.advertising(addr) {
			time.Sleep(time.Millisecond)
		}
		tor.missNext(gone.Prefix, added.Prefix)
		err := errors.Join(s.Withdraw(ctx, gone.Prefix), s.Announce(ctx, added))
		for deadline := time.Now().Add(10 * time.Second); tor.missing() && err == nil; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				err = errors.New("the TOR never got the UPDATEs it was to miss")
			}
		}
		return err
	}
	changed := make(chan error, 1)
	var once sync.Once
	s.onEstablishedEvent = func(addr netip.Addr) { once.Do(func() { changed <- change(addr) }) }
	if err := s.SetPeers(ctx, []Peer{tor.asPeer("tor", 64500)}); err != nil {
		t.Fatal(err)
	}
	waitEstablished(t, s, 1)
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{kept.Prefix, added.Prefix}
	eventually(t, "the TOR to hold exactly "+kept.Prefix.String()+" and "+added.Prefix.String(), func() bool {
		var got []netip.Prefix
		for p := range tor.snapshot() {
			got = append(got, p)
		}
		slices.SortFunc(got, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
		return slices.Equal(got, want)
	})
}
