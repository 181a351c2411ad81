package owner

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
	"testing"
)

var fiveNodes = []string{"lab-control-plane", "lab-worker", "lab-worker2", "lab-worker3", "lab-worker4"}

func TestOwner(t *testing.T) {
	v4 := netip.MustParseAddr("172.18.255.200")
	cases := []struct {
		name       string
		ip         netip.Addr
		candidates []string
		want       string // "" means ok == false
		sameAs     netip.Addr
	}{
		{name: "no candidates", ip: v4},
		{name: "only empty names", ip: v4, candidates: []string{"", ""}},
		{name: "invalid IP", candidates: fiveNodes},
		{name: "single candidate", ip: v4, candidates: []string{"n1"}, want: "n1"},
		// Golden owners: the score is a protocol between speakers of
		// different versions; changing it must be deliberate.
		{name: "golden v4", ip: v4, candidates: fiveNodes, want: "lab-worker4"},
		{name: "golden v6", ip: netip.MustParseAddr("fc00:f853:ccd:e793::c8"), candidates: fiveNodes, want: "lab-worker"},
		{name: "v4-mapped v6 is v4", ip: netip.MustParseAddr("::ffff:172.18.255.200"), candidates: fiveNodes, sameAs: v4},
		{name: "zone ignored", ip: netip.MustParseAddr("fe80::1%eth0"), candidates: fiveNodes, sameAs: netip.MustParseAddr("fe80::1")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, wantOK := tc.want, tc.want != ""
			if tc.sameAs.IsValid() {
				want, wantOK = Owner(tc.sameAs, tc.candidates)
			}
			got, ok := Owner(tc.ip, tc.candidates)
			if got != want || ok != wantOK {
				t.Fatalf("Owner(%v, %v) = %q, %v; want %q, %v", tc.ip, tc.candidates, got, ok, want, wantOK)
			}
		})
	}
}

// Every speaker must pick the same owner whatever order it lists the nodes
// in, with repeats or without.
func TestOwnerIgnoresOrderAndRepeats(t *testing.T) {
	ip := netip.MustParseAddr("10.0.0.1")
	want, _ := Owner(ip, fiveNodes)
	orders := [][]string{
		slices.Clone(fiveNodes),
		{"lab-worker4", "lab-worker3", "lab-worker2", "lab-worker", "lab-control-plane"},
		{"lab-worker2", "lab-worker4", "", "lab-control-plane", "lab-worker", "lab-worker3", "lab-worker2"},
	}
	for i, c := range orders {
		for ip := ip; ip.Compare(netip.MustParseAddr("10.0.1.0")) < 0; ip = ip.Next() {
			a, _ := Owner(ip, fiveNodes)
			if b, _ := Owner(ip, c); a != b {
				t.Fatalf("order %d: %v owned by %q, with the canonical order by %q", i, ip, b, a)
			}
		}
	}
	if want == "" {
		t.Fatal("no owner")
	}
}

// The score is FNV-1a-64 of node + "\x00" + IP text, finalized by mix64.
func TestScoreIsMixedFNV1a(t *testing.T) {
	for _, tc := range []struct{ node, ip string }{
		{"lab-worker", "172.18.255.200"}, {"n", "::1"}, {"", "0.0.0.0"},
	} {
		h := fnv.New64a()
		fmt.Fprintf(h, "%s\x00%s", tc.node, tc.ip)
		if got, want := score(tc.node, []byte(tc.ip)), mix64(h.Sum64()); got != want {
			t.Errorf("score(%q, %q) = %#x, want %#x", tc.node, tc.ip, got, want)
		}
	}
}

func ipRange(start string, n int) []netip.Addr {
	ips := make([]netip.Addr, n)
	ip := netip.MustParseAddr(start)
	for i := range ips {
		ips[i], ip = ip, ip.Next()
	}
	return ips
}

func owners(ips []netip.Addr, nodes []string) map[netip.Addr]string {
	m := make(map[netip.Addr]string, len(ips))
	for _, ip := range ips {
		m[ip], _ = Owner(ip, nodes)
	}
	return m
}
