package frr

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/lblab/lblab/internal/testutil/golden"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"ipv4", Config{Lab: "bgp-ecmp", Hostname: "tor", LogFile: "/run/lblab/bgp-ecmp/tor/frr.log",
			ASN: 64496, NodeASN: 64500, RouterID: netip.MustParseAddr("10.89.0.1"),
			ListenRanges: []netip.Prefix{netip.MustParsePrefix("10.89.0.0/24")},
			MaximumPaths: 64, KeepaliveTime: 3, HoldTime: 9}},
		{"dual", Config{Lab: "bgp-ecmp-dual", Hostname: "tor", LogFile: "/run/lblab/bgp-ecmp-dual/tor/frr.log",
			ASN: 64496, RouterID: netip.MustParseAddr("10.89.1.1"),
			ListenRanges: []netip.Prefix{netip.MustParsePrefix("10.89.1.0/24"), netip.MustParsePrefix("fd00:89:1::/64")},
			MaximumPaths: 16, KeepaliveTime: 1, HoldTime: 3}},
		{"bfd", Config{Lab: "bgp-ecmp-bfd", Hostname: "tor", LogFile: "/run/lblab/bgp-ecmp-bfd/tor/frr.log",
			ASN: 64496, NodeASN: 64500, RouterID: netip.MustParseAddr("10.89.2.1"),
			ListenRanges: []netip.Prefix{netip.MustParsePrefix("10.89.2.0/24")},
			MaximumPaths: 64, KeepaliveTime: 3, HoldTime: 9,
			BFD: &BFD{TransmitInterval: 300, ReceiveInterval: 300, DetectMultiplier: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", "frr-"+tt.name+".conf.golden"), got)
		})
	}
}

func TestRenderErrors(t *testing.T) {
	if _, err := Render(Config{RouterID: netip.MustParseAddr("fd00::1"), ListenRanges: []netip.Prefix{netip.MustParsePrefix("fd00::/64")}}); err == nil {
		t.Error("want an error for an IPv6 router ID")
	}
	if _, err := Render(Config{RouterID: netip.MustParseAddr("10.0.0.1")}); err == nil {
		t.Error("want an error without listen ranges")
	}
}
