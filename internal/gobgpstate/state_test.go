package gobgpstate

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/lblab/lblab/controller/speaker/bgp"
)

// TestRead reads a real embedded GoBGP v4 server (the speaker's own
// package) through its gRPC API on loopback.
func TestRead(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := bgp.Start(ctx, bgp.Config{RouterID: netip.MustParseAddr("10.89.0.11"), ASN: 64500, APIAddress: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	// A TOR that does not answer: the session stays down.
	if err := s.SetPeers(ctx, []bgp.Peer{{Name: "tor", Address: netip.MustParseAddr("127.0.0.2"), Port: 1,
		ASN: 64496, LocalASN: 64500}, {Name: "tor6", Address: netip.MustParseAddr("::1"), Port: 1, ASN: 64496, LocalASN: 64500}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, bgp.Advertisement{Prefix: netip.MustParsePrefix("198.51.100.0/32")},
		bgp.Advertisement{Prefix: netip.MustParsePrefix("2001:db8:100::/128")}); err != nil {
		t.Fatal(err)
	}
	st, err := Read(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Advertised) != 2 || st.Advertised[0].String() != "198.51.100.0/32" || st.Advertised[1].String() != "2001:db8:100::/128" {
		t.Errorf("advertised %v", st.Advertised)
	}
	if len(st.Neighbors) != 2 || st.Neighbors[0].Address.String() != "127.0.0.2" || st.Neighbors[0].PeerASN != 64496 ||
		st.Neighbors[0].State == "Established" || st.Neighbors[0].State == "Unknown" {
		t.Errorf("neighbours %+v", st.Neighbors)
	}
	data, _ := json.Marshal(st)
	back, err := Parse(data)
	if err != nil || len(back.Neighbors) != 2 {
		t.Errorf("round trip: %v %v", back, err)
	}
	if _, err := Read(ctx, "127.0.0.1:1"); err == nil {
		t.Error("reading a closed port must fail")
	}
}
