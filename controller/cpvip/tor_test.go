package cpvip

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"

	cpbgp "github.com/lblab/lblab/controller/speaker/bgp"
)

// tor is an in-process GoBGP server that plays the TOR for one family: it
// listens on a random port of a loopback address, accepts the speaker
// passively from one address, and records the routes it holds and how
// often the session left Established.
type tor struct {
	s     *server.BgpServer
	addr  netip.Addr
	port  uint16
	mu    sync.Mutex
	rib   map[netip.Prefix]netip.Addr // prefix → next hop
	up    bool
	downs int
}

func startTOR(t *testing.T, addr, speaker netip.Addr, speakerASN uint32) *tor {
	t.Helper()
	l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		t.Fatalf("failed to find a free port on %s: %v", addr, err)
	}
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	r := &tor{s: server.NewBgpServer(), addr: addr, port: port, rib: map[netip.Prefix]netip.Addr{}}
	go r.s.Serve()
	t.Cleanup(r.s.Stop)
	ctx := context.Background()
	err = r.s.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: 64496, RouterId: "192.0.2.254", ListenPort: int32(port), ListenAddresses: []string{addr.String()},
	}})
	if err != nil {
		t.Fatalf("failed to start the TOR on %s: %v", addr, err)
	}
	afi := api.Family_AFI_IP
	if addr.Is6() {
		afi = api.Family_AFI_IP6
	}
	err = r.s.AddPeer(ctx, &api.AddPeerRequest{Peer: &api.Peer{
		Conf:      &api.PeerConf{NeighborAddress: speaker.String(), PeerAsn: speakerASN},
		Transport: &api.Transport{PassiveMode: true, LocalAddress: addr.String()},
		Timers:    &api.Timers{Config: &api.TimersConfig{IdleHoldTimeAfterReset: 1}},
		AfiSafis: []*api.AfiSafi{{Config: &api.AfiSafiConfig{
			Family: &api.Family{Afi: afi, Safi: api.Family_SAFI_UNICAST}, Enabled: true,
		}}},
	}})
	if err != nil {
		t.Fatalf("failed to add the speaker to the TOR: %v", err)
	}
	err = r.s.WatchEvent(t.Context(), server.WatchEventMessageCallbacks{OnPathUpdate: r.onUpdate, OnPeerUpdate: r.onPeer},
		server.WatchUpdate(false, "", ""), server.WatchPeer())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *tor) onUpdate(paths []*apiutil.Path, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range paths {
		pfx, err := netip.ParsePrefix(p.Nlri.String())
		if err != nil {
			continue
		}
		if p.Withdrawal {
			delete(r.rib, pfx)
			continue
		}
		for _, a := range p.Attrs {
			switch a := a.(type) {
			case *bgp.PathAttributeNextHop:
				r.rib[pfx] = a.Value
			case *bgp.PathAttributeMpReachNLRI:
				r.rib[pfx] = a.Nexthop
			}
		}
	}
}

// onPeer drops the routes of a session that goes down, as a router does.
func (r *tor) onPeer(ev *apiutil.WatchEventMessage_PeerEvent, _ time.Time) {
	if ev.Type != apiutil.PEER_EVENT_STATE {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	up := ev.Peer.State.SessionState == bgp.BGP_FSM_ESTABLISHED
	if r.up && !up {
		r.downs++
		clear(r.rib)
	}
	r.up = up
}

// state returns the TOR's routes, whether the session is up, and how often
// it went down.
func (r *tor) state() (map[netip.Prefix]netip.Addr, bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rib := make(map[netip.Prefix]netip.Addr, len(r.rib))
	for k, v := range r.rib {
		rib[k] = v
	}
	return rib, r.up, r.downs
}

// peer is how the speaker configures this TOR: from the address the TOR
// accepts, with the timers lblab cp-speaker uses by default.
func (r *tor) peer(from netip.Addr) cpbgp.Peer {
	return cpbgp.Peer{Address: r.addr, Port: r.port, ASN: 64496, LocalAddress: from,
		HoldTime: 3 * time.Second, KeepaliveTime: time.Second}
}

// eventually polls cond until it holds or 10s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
