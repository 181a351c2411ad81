package frr

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/testutil/golden"
)

// Inputs in testdata/ were captured from FRR 8.4 (vtysh) on a TOR with
// three GoBGP speakers announcing /32s and /128s; see testdata/README.md.

// golden compares v, rendered as indented JSON, with testdata/name.

func read(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseRIB(t *testing.T) {
	for _, name := range []string{"routes-ipv4", "routes-ipv6", "routes-single-ipv4"} {
		t.Run(name, func(t *testing.T) {
			rib, err := ParseRIB(read(t, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			golden.AssertJSON(t, filepath.Join("testdata", name+".golden.json"), rib)
		})
	}
}

func TestRIBNexthops(t *testing.T) {
	tests := []struct {
		file   string
		prefix string
		want   []string
	}{
		{"routes-ipv4.json", "198.51.100.0/32", []string{"10.89.0.11", "10.89.0.12", "10.89.0.13"}},
		{"routes-ipv4.json", "198.51.100.1/32", []string{"10.89.0.11", "10.89.0.12"}},
		{"routes-single-ipv4.json", "198.51.100.1/32", []string{"10.89.0.11"}},
		{"routes-ipv6.json", "2001:db8:100::/128", []string{"fd00:89::b", "fd00:89::c", "fd00:89::d"}},
		{"routes-ipv6.json", "2001:db8:100::1/128", []string{"fd00:89::b", "fd00:89::c"}},
	}
	for _, tt := range tests {
		rib, err := ParseRIB(read(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		rt, ok := rib.Lookup(netip.MustParsePrefix(tt.prefix))
		if !ok {
			t.Fatalf("%s: no route %s", tt.file, tt.prefix)
		}
		var got []string
		for _, a := range rt.SelectedNexthops() {
			got = append(got, a.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %s: next hops %v, want %v", tt.file, tt.prefix, got, tt.want)
		}
		for _, p := range rt.Paths {
			if !slices.Equal(p.ASPath, []uint32{64500}) {
				t.Errorf("%s %s: AS path %v, want [64500]", tt.file, tt.prefix, p.ASPath)
			}
		}
	}
}

func TestParseRIBEmptyAndBad(t *testing.T) {
	rib, err := ParseRIB([]byte("{}"))
	if err != nil || len(rib.Routes) != 0 {
		t.Fatalf("empty table: %v %v", rib, err)
	}
	if _, err := ParseRIB([]byte(`{"routes":{"nope":[]}}`)); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("bad prefix: want an error naming it, got %v", err)
	}
	if _, err := ParseRIB([]byte(`{"routes":{"10.0.0.1/32":[{"path":"64500 x"}]}}`)); err == nil {
		t.Fatal("bad AS path: want an error")
	}
}

func TestParseNeighbors(t *testing.T) {
	nbs, err := ParseNeighbors(read(t, "neighbors-dual.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden.AssertJSON(t, filepath.Join("testdata", "neighbors-dual.golden.json"), nbs)
	if len(nbs) != 6 {
		t.Fatalf("got %d neighbours, want 6 (3 nodes × 2 families)", len(nbs))
	}
	for _, n := range nbs {
		if n.State != "Established" || n.HoldTime.Seconds() != 9 || n.RemoteAS != 64500 {
			t.Errorf("neighbour %v: state %s hold %v AS %d", n.Address, n.State, n.HoldTime, n.RemoteAS)
		}
	}
}

func TestParseSummaryDual(t *testing.T) {
	s, err := ParseSummary(read(t, "summary-dual.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden.AssertJSON(t, filepath.Join("testdata", "summary-dual.golden.json"), s.Peers())
	est := s.Established()
	if len(est) != 6 {
		t.Errorf("established peers %v, want 6", est)
	}
}

// bfd-peers.json is FRR 8.4's `show bfd peers json` on the TOR of a
// bgp-ecmp-bfd lab: four node sessions up at 300 ms × 3.
func TestParseBFDPeers(t *testing.T) {
	peers, err := ParseBFDPeers(read(t, "bfd-peers.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden.AssertJSON(t, filepath.Join("testdata", "bfd-peers.golden.json"), peers)
	if len(peers) != 4 {
		t.Fatalf("%d peers, want the four nodes", len(peers))
	}
	for _, p := range peers {
		if !p.Up() || p.TransmitInterval != 300*time.Millisecond || p.DetectMultiplier != 3 || !p.Local.IsValid() {
			t.Errorf("peer %+v: want up at 300ms × 3 with a local address", p)
		}
	}
	for _, bad := range []string{`{}`, `[{"peer":"nope"}]`} {
		if _, err := ParseBFDPeers([]byte(bad)); err == nil {
			t.Errorf("ParseBFDPeers(%s): no error", bad)
		}
	}
}
