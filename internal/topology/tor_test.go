package topology

import (
	"net/netip"
	"testing"
)

func TestRouterID(t *testing.T) {
	v4, v6 := netip.MustParseAddr("10.89.0.1"), netip.MustParseAddr("fd00:89::1")
	tests := []struct {
		name     string
		routerID string
		own      []netip.Addr
		want     string // "" = derived from the name
	}{
		{"set in the topology", "192.0.2.9", []netip.Addr{v4}, "192.0.2.9"},
		{"the TOR's IPv4 address", "", []netip.Addr{v6, v4}, "10.89.0.1"},
		{"IPv6 only", "", []netip.Addr{v6}, ""},
		{"addresses unknown", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topo := &Topology{Name: "lab1", TOR: TOR{RouterID: tt.routerID}}
			got := topo.RouterID(tt.own...)
			if tt.want != "" {
				if got.String() != tt.want {
					t.Errorf("RouterID = %s, want %s", got, tt.want)
				}
				return
			}
			other := (&Topology{Name: "lab2"}).RouterID()
			if !got.Is4() || !netip.MustParsePrefix("10.255.0.0/16").Contains(got) || got == other {
				t.Errorf("derived RouterID = %s (lab2: %s), want a per-lab address in 10.255.0.0/16", got, other)
			}
		})
	}
}
