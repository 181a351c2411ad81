package bgp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"
)

// testPeer is a second in-process GoBGP server that plays the TOR: it
// listens on a random port of a loopback address, accepts the speaker
// passively, and records every route it receives.
type testPeer struct {
	t       *testing.T
	s       *server.BgpServer
	addr    netip.Addr
	port    uint16
	asn     uint32
	mu      sync.Mutex
	routes  map[netip.Prefix]received // the peer's view: what is announced now
	updates int                       // paths received, withdrawals included
	miss    map[netip.Prefix]int      // paths of a prefix still to be missed
}

// received is one route as the peer got it.
type received struct {
	NextHop     netip.Addr
	ASPath      string
	Communities []string
	LocalPref   uint32
}

func freePort(t *testing.T, addr netip.Addr) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		t.Fatalf("failed to find a free port on %s: %v", addr, err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// startTestPeer starts a peer on addr (AS asn) that accepts a session from
// speaker (AS speakerASN), optionally with a TCP MD5 password.
func startTestPeer(t *testing.T, addr netip.Addr, asn uint32, speaker netip.Addr, speakerASN uint32, password string) *testPeer {
	t.Helper()
	p := &testPeer{t: t, s: server.NewBgpServer(), addr: addr, asn: asn, routes: map[netip.Prefix]received{}}
	go p.s.Serve()
	p.port = freePort(t, addr)
	ctx := context.Background()
	err := p.s.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: asn, RouterId: "192.0.2.254", ListenPort: int32(p.port), ListenAddresses: []string{addr.String()},
	}})
	if err != nil {
		t.Fatalf("failed to start test peer: %v", err)
	}
	t.Cleanup(p.s.Stop)
	afi := api.Family_AFI_IP
	if addr.Is6() {
		afi = api.Family_AFI_IP6
	}
	err = p.s.AddPeer(ctx, &api.AddPeerRequest{Peer: &api.Peer{
		Conf:      &api.PeerConf{NeighborAddress: speaker.String(), PeerAsn: speakerASN, AuthPassword: password},
		Transport: &api.Transport{PassiveMode: true, LocalAddress: addr.String()},
		// After it resets the session, accept the speaker again within a
		// second (GoBGP's default idles 30 s).
		Timers: &api.Timers{Config: &api.TimersConfig{IdleHoldTimeAfterReset: 1}},
		AfiSafis: []*api.AfiSafi{{Config: &api.AfiSafiConfig{
			Family: &api.Family{Afi: afi, Safi: api.Family_SAFI_UNICAST}, Enabled: true,
		}}},
	}})
	if err != nil {
		t.Fatalf("failed to add the speaker to the test peer: %v", err)
	}
	err = p.s.WatchEvent(t.Context(), server.WatchEventMessageCallbacks{OnPathUpdate: p.onUpdate, OnPeerUpdate: p.onPeer},
		server.WatchUpdate(false, "", ""), server.WatchPeer())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *testPeer) onUpdate(paths []*apiutil.Path, _ time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, path := range paths {
		pfx, err := netip.ParsePrefix(path.Nlri.String())
		if err != nil {
			continue
		}
		p.updates++
		if p.miss[pfx] > 0 {
			p.miss[pfx]--
			continue
		}
		if path.Withdrawal {
			delete(p.routes, pfx)
			continue
		}
		p.routes[pfx] = decode(path.Attrs)
	}
}

// onPeer drops the routes of a session that goes down, as a router does.
func (p *testPeer) onPeer(ev *apiutil.WatchEventMessage_PeerEvent, _ time.Time) {
	if ev.Type == apiutil.PEER_EVENT_STATE && ev.Peer.State.SessionState != bgp.BGP_FSM_ESTABLISHED {
		p.mu.Lock()
		clear(p.routes)
		p.mu.Unlock()
	}
}

func decode(attrs []bgp.PathAttributeInterface) received {
	var r received
	for _, a := range attrs {
		switch a := a.(type) {
		case *bgp.PathAttributeNextHop:
			r.NextHop = a.Value
		case *bgp.PathAttributeMpReachNLRI:
			r.NextHop = a.Nexthop
		case *bgp.PathAttributeAsPath:
			var asns []string
			for _, param := range a.Value {
				for _, as := range param.GetAS() {
					asns = append(asns, strconv.FormatUint(uint64(as), 10))
				}
			}
			r.ASPath = strings.Join(asns, " ")
		case *bgp.PathAttributeCommunities:
			for _, v := range a.Value {
				r.Communities = append(r.Communities, fmt.Sprintf("%d:%d", v>>16, v&0xFFFF))
			}
		case *bgp.PathAttributeLargeCommunities:
			for _, v := range a.Values {
				r.Communities = append(r.Communities, fmt.Sprintf("%d:%d:%d", v.ASN, v.LocalData1, v.LocalData2))
			}
		case *bgp.PathAttributeLocalPref:
			r.LocalPref = a.Value
		}
	}
	return r
}

// missNext makes the peer ignore the next path it receives for each
// prefix, announcement or withdrawal, as if the UPDATE never came.
func (p *testPeer) missNext(prefixes ...netip.Prefix) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.miss == nil {
		p.miss = map[netip.Prefix]int{}
	}
	for _, x := range prefixes {
		p.miss[x]++
	}
}

// missing reports whether the peer still has paths to miss.
func (p *testPeer) missing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range p.miss {
		if n > 0 {
			return true
		}
	}
	return false
}

// snapshot returns the routes the peer holds now.
func (p *testPeer) snapshot() map[netip.Prefix]received {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[netip.Prefix]received, len(p.routes))
	for k, v := range p.routes {
		out[k] = v
	}
	return out
}

// asPeer is how the speaker configures this test peer.
func (p *testPeer) asPeer(name string, localASN uint32) Peer {
	return Peer{Name: name, Address: p.addr, Port: p.port, ASN: p.asn, LocalASN: localASN, HoldTime: 9 * time.Second, KeepaliveTime: 3 * time.Second}
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

// connected starts a test peer on 127.0.0.2 (AS 64496) and a speaker
// (global AS globalASN) whose session to it, as AS 64500, is Established.
func connected(t *testing.T, globalASN uint32) (*testPeer, *Server) {
	t.Helper()
	tor := startTestPeer(t, netip.MustParseAddr("127.0.0.2"), 64496, speakerV4, 64500, "")
	s := startSpeaker(t, globalASN, nil)
	if err := s.SetPeers(context.Background(), []Peer{tor.asPeer("tor", 64500)}); err != nil {
		t.Fatal(err)
	}
	waitEstablished(t, s, 1)
	return tor, s
}

// startSpeaker starts the Server under test with no API.
func startSpeaker(t *testing.T, asn uint32, onChange func(SessionState)) *Server {
	t.Helper()
	s, err := Start(context.Background(), Config{RouterID: netip.MustParseAddr("10.0.0.1"), ASN: asn, OnSessionChange: onChange})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func waitEstablished(t *testing.T, s *Server, n int) {
	t.Helper()
	eventually(t, strconv.Itoa(n)+" established sessions", func() bool {
		st, err := s.Sessions(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		up := 0
		for _, x := range st {
			if x.State == Established {
				up++
			}
		}
		return up == n
	})
}
