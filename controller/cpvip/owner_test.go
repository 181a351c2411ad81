package cpvip

import (
	"net/netip"
	"slices"
	"testing"
)

var nodes = []string{"control-plane", "control-plane2", "control-plane3"}

func vips(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// TestOwner pins the owner of a few VIP sets: every speaker must compute
// the same, so a change of the hash is a change of the protocol between
// speakers of different versions. The owners differ between the sets.
func TestOwner(t *testing.T) {
	tests := []struct {
		vips  []netip.Addr
		ready []string
		want  string
	}{
		{vips("10.89.0.240", "fd00:89::f0"), nil, ""},
		{vips("10.89.0.240", "fd00:89::f0"), []string{}, ""},
		{vips("10.89.0.240", "fd00:89::f0"), nodes, "control-plane3"},
		{vips("fd00:89::f0", "10.89.0.240"), nodes, "control-plane3"}, // the VIPs' order does not matter
		{vips("::ffff:10.89.0.240", "fd00:89::f0"), nodes, "control-plane3"},
		{vips("10.89.0.240"), nodes, "control-plane"},
		{vips("192.0.2.10", "2001:db8::10"), nodes, "control-plane2"},
		{vips("10.89.0.240", "fd00:89::f0"), []string{"control-plane", "control-plane2"}, "control-plane"},
		{vips("10.89.0.240", "fd00:89::f0"), []string{"control-plane"}, "control-plane"},
	}
	for _, tt := range tests {
		if got := Owner(tt.vips, tt.ready); got != tt.want {
			t.Errorf("Owner(%v, %v) = %q, want %q", tt.vips, tt.ready, got, tt.want)
		}
	}
}

// TestOwnerMoves: the owner does not depend on the order of the ready
// names, stays when another node leaves, and only moves, to a node still
// ready, when it leaves itself.
func TestOwnerMoves(t *testing.T) {
	for _, v := range [][]netip.Addr{
		vips("10.89.0.240", "fd00:89::f0"), vips("10.89.0.240"), vips("fd00:89::f0"),
		vips("192.0.2.10", "2001:db8::10"), vips("10.89.0.100", "fd00:89::100"),
	} {
		owner := Owner(v, nodes)
		for _, order := range [][]string{
			{"control-plane3", "control-plane2", "control-plane"}, {"control-plane2", "control-plane3", "control-plane"},
		} {
			if got := Owner(v, order); got != owner {
				t.Errorf("%v: owner %q among %v, but %q among %v", v, owner, nodes, got, order)
			}
		}
		for _, gone := range nodes {
			rest := slices.DeleteFunc(slices.Clone(nodes), func(n string) bool { return n == gone })
			got := Owner(v, rest)
			switch {
			case gone != owner && got != owner:
				t.Errorf("%v: %s left, and the owner moved from %s to %s", v, gone, owner, got)
			case gone == owner && !slices.Contains(rest, got):
				t.Errorf("%v: the owner %s left, and %q of %v took over", v, owner, got, rest)
			}
		}
	}
}

// TestOwnerSpread: over many VIPs each of three nodes owns about a third,
// although their names differ in the last byte only.
func TestOwnerSpread(t *testing.T) {
	owned := map[string]int{}
	const n = 600
	for i := range n {
		owned[Owner([]netip.Addr{netip.AddrFrom4([4]byte{10, 89, byte(i >> 8), byte(i)})}, nodes)]++
	}
	for _, node := range nodes {
		if share := float64(owned[node]) / n; share < 0.25 || share > 0.42 {
			t.Errorf("%s owns %.0f%% of %d VIPs, want about a third: %v", node, 100*share, n, owned)
		}
	}
}
