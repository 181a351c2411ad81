package cli

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/controller/cpvip"
	"github.com/lblab/lblab/controller/speaker/bgp"
)

// TestCPSpeakerRejectsBadFlags: bad flags fail before GoBGP starts, with an
// error naming the flag.
func TestCPSpeakerRejectsBadFlags(t *testing.T) {
	ok := []string{"cp-speaker", "--vip", "10.89.0.100", "--peer", "10.89.1.1", "--peer-asn", "64496", "--asn", "64510",
		"--source", "10.89.1.112", "--ca", "/nonexistent/ca.crt", "--gobgp-api", ""}
	l2 := []string{"cp-speaker", "--mode", "l2", "--vip", "10.89.0.240", "--vip", "fd00:89::f0", "--name", "control-plane1",
		"--member", "control-plane2=https://10.89.0.11:6443/readyz", "--ca", "/nonexistent/ca.crt"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no VIP", []string{"cp-speaker"}, "no VIP: pass --vip ADDR"},
		{"VIP not an address", []string{"cp-speaker", "--vip", "10.89.0.100/32"}, `--vip "10.89.0.100/32" is not an IP address`},
		{"peer not an address", []string{"cp-speaker", "--peer", "tor"}, `--peer "tor" is not an IP address`},
		{"two IPv4 sources", slices.Concat(ok, []string{"--source", "10.89.1.113"}), "--source: two IPv4 source addresses"},
		{"source without a peer of its family", slices.Concat(ok, []string{"--source", "fd00::112"}), "--source fd00::112 is of no --peer's family"},
		{"IPv6 VIP, IPv4 peer", slices.Concat(ok, []string{"--vip", "fd00::100"}), "--vip fd00::100 is IPv6 but no --peer is"},
		{"no router ID", []string{"cp-speaker", "--vip", "10.89.0.100", "--peer", "10.89.1.1", "--peer-asn", "1", "--asn", "2"}, "--router-id invalid IP is not an IPv4 address: pass one, or an IPv4 --source"},
		{"bad router ID", slices.Concat(ok, []string{"--router-id", "node1"}), `--router-id "node1" is not an IPv4 address`},
		{"no ASN", slices.Concat(ok, []string{"--asn", "0"}), "--asn is not set"},
		{"no peer ASN", slices.Concat(ok, []string{"--peer-asn", "0"}), "--peer-asn is not set"},
		{"short hold time", slices.Concat(ok, []string{"--hold-time", "1s"}), "--hold-time 1s must be whole seconds, at least 3s"},
		{"no CA", slices.Concat(ok, []string{"--ca", ""}), "--ca is not set"},
		{"missing CA file", ok, "--ca: failed to read the CA"},
		{"bad readyz", slices.Concat(ok, []string{"--readyz", "localhost:6443"}), `--readyz "localhost:6443" is not an http(s) URL`},
		{"negative fall", slices.Concat(ok, []string{"--fall", "-1"}), "--fall -1 must be at least 1"},
		{"an argument", slices.Concat(ok, []string{"extra"}), "unknown command"},
		{"unknown mode", slices.Concat(ok, []string{"--mode", "vrrp"}), `--mode "vrrp" is neither bgp nor l2`},
		{"member in BGP mode", slices.Concat(ok, []string{"--member", "control-plane2=https://10.89.0.11:6443/readyz"}), "--member is for --mode l2"},
		{"interface in BGP mode", slices.Concat(ok, []string{"--interface", "eth0"}), "--interface is for --mode l2"},
		{"L2 without a name", slices.Concat(l2, []string{"--name", ""}), "--name is not set"},
		{"L2 member without '='", slices.Concat(l2, []string{"--member", "control-plane3"}), `--member "control-plane3" is not NAME=URL`},
		{"L2 member without a name", slices.Concat(l2, []string{"--member", "=https://10.89.0.12:6443/readyz"}), `--member "=https://10.89.0.12:6443/readyz" has no name before '='`},
		{"L2 member with a bad URL", slices.Concat(l2, []string{"--member", "control-plane3=10.89.0.12:6443"}), `--member control-plane3: "10.89.0.12:6443" is not an http(s) URL`},
		{"L2 member twice", slices.Concat(l2, []string{"--member", "control-plane2=https://10.89.0.12:6443/readyz"}), "--member control-plane2 is given twice"},
		{"L2 member is this node", slices.Concat(l2, []string{"--member", "control-plane1=https://10.89.0.10:6443/readyz"}), "--member control-plane1 is this node (--name)"},
		{"L2 without CA", slices.Concat(l2, []string{"--ca", ""}), "--ca is not set"},
		{"L2 with a peer", slices.Concat(l2, []string{"--peer", "10.89.1.1"}), "--peer is for --mode bgp"},
		{"L2 with a source", slices.Concat(l2, []string{"--source", "10.89.1.112"}), "--source is for --mode bgp"},
		{"L2 with an ASN", slices.Concat(l2, []string{"--asn", "64510"}), "--asn is for --mode bgp"},
		{"L2 with a peer ASN", slices.Concat(l2, []string{"--peer-asn", "64496"}), "--peer-asn is for --mode bgp"},
		{"L2 with BFD", slices.Concat(l2, []string{"--bfd-interval", "300ms"}), "--bfd-interval is for --mode bgp"},
		{"L2 on a missing interface", []string{"cp-speaker", "--mode", "l2", "--vip", "10.89.0.240", "--name", "control-plane1",
			"--readyz", "http://127.0.0.1:6443/readyz", "--interface", "no-such-if0"}, "--interface no-such-if0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("lblab %s: error %v, want %q", strings.Join(tt.args, " "), err, tt.want)
			}
		})
	}
}

// TestCPSpeakerConfig: each peer speaks from the --source of its family,
// the IPv4 source is the default router ID, and the defaults are those
// documented.
func TestCPSpeakerConfig(t *testing.T) {
	f := newCPSpeakerCommand(&globals{}).Flags()
	for flag, want := range map[string]string{"readyz": "https://127.0.0.1:6443/readyz", "interval": "200ms", "timeout": "500ms",
		"fall": "2", "rise": "2", "hold-time": "3s", "keepalive": "1s", "gobgp-api": "127.0.0.1:50052", "mode": "bgp"} {
		if got := f.Lookup(flag).DefValue; got != want {
			t.Errorf("--%s defaults to %q, want %q", flag, got, want)
		}
	}
	tests := []struct {
		routerID string
		want     netip.Addr
	}{
		{"", netip.MustParseAddr("10.89.1.112")},
		{"192.0.2.1", netip.MustParseAddr("192.0.2.1")},
	}
	for _, tt := range tests {
		cfg, err := cpSpeakerConfig(&cpSpeakerFlags{
			vips: []string{"10.89.0.100", "fd00:89::100"}, peers: []string{"10.89.1.1", "fd00:89:1::1"},
			sources: []string{"fd00:89:1::112", "10.89.1.112"}, peerASN: 64496, asn: 64510, routerID: tt.routerID,
			holdTime: 3 * time.Second, keepalive: time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.RouterID != tt.want {
			t.Errorf("--router-id %q: router ID %s, want %s", tt.routerID, cfg.RouterID, tt.want)
		}
		want := []bgp.Peer{
			{Address: netip.MustParseAddr("10.89.1.1"), ASN: 64496, HoldTime: 3 * time.Second, KeepaliveTime: time.Second, LocalAddress: netip.MustParseAddr("10.89.1.112")},
			{Address: netip.MustParseAddr("fd00:89:1::1"), ASN: 64496, HoldTime: 3 * time.Second, KeepaliveTime: time.Second, LocalAddress: netip.MustParseAddr("fd00:89:1::112")},
		}
		if len(cfg.Peers) != 2 || cfg.Peers[0] != want[0] || cfg.Peers[1] != want[1] {
			t.Errorf("peers %+v, want %+v", cfg.Peers, want)
		}
		if len(cfg.VIPs) != 2 || cfg.ASN != 64510 {
			t.Errorf("VIPs %v, ASN %d", cfg.VIPs, cfg.ASN)
		}
	}
}

// TestCPSpeakerL2Config: --member NAME=URL splits at the first '=', and
// --gobgp-api, which has a default, is left out in --mode l2.
func TestCPSpeakerL2Config(t *testing.T) {
	cfg, err := cpSpeakerConfig(&cpSpeakerFlags{
		mode: "l2", name: "control-plane1", iface: "eth0", vips: []string{"10.89.0.240", "fd00:89::f0"},
		members: []string{"control-plane2=https://10.89.0.11:6443/readyz", "control-plane3=https://10.89.0.12:6443/readyz?verbose=1"},
		readyz:  "https://127.0.0.1:6443/readyz", ca: "/ca.crt", gobgpAPI: "127.0.0.1:50052",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []cpvip.Member{
		{Name: "control-plane2", ReadyzURL: "https://10.89.0.11:6443/readyz"},
		{Name: "control-plane3", ReadyzURL: "https://10.89.0.12:6443/readyz?verbose=1"},
	}
	if cfg.Mode != cpvip.ModeL2 || cfg.Self != "control-plane1" || cfg.Interface != "eth0" || !slices.Equal(cfg.Members, want) {
		t.Errorf("mode %q, self %q, interface %q, members %+v; want l2, control-plane1, eth0, %+v", cfg.Mode, cfg.Self, cfg.Interface, cfg.Members, want)
	}
	if len(cfg.VIPs) != 2 || cfg.ReadyzURL != "https://127.0.0.1:6443/readyz" || cfg.CAFile != "/ca.crt" || cfg.GoBGPAPI != "" || cfg.Peers != nil {
		t.Errorf("VIPs %v, readyz %q, CA %q, GoBGP API %q, peers %v", cfg.VIPs, cfg.ReadyzURL, cfg.CAFile, cfg.GoBGPAPI, cfg.Peers)
	}
}

func TestCPSpeakerBFD(t *testing.T) {
	base := cpSpeakerFlags{vips: []string{"10.89.0.100"}, peers: []string{"10.89.1.1"}, sources: []string{"10.89.1.112"},
		peerASN: 64496, asn: 64510, holdTime: 3 * time.Second, keepalive: time.Second}
	for _, tc := range []struct {
		interval time.Duration
		mult     uint8
		want     bgp.BFDTimers
		err      string
	}{
		{0, 3, bgp.BFDTimers{}, ""},
		{300 * time.Millisecond, 3, bgp.BFDTimers{MinTx: 300 * time.Millisecond, MinRx: 300 * time.Millisecond, Multiplier: 3}, ""},
		{5 * time.Millisecond, 3, bgp.BFDTimers{}, "--bfd-interval 5ms"},
		{300 * time.Millisecond, 0, bgp.BFDTimers{}, "--bfd-multiplier 0"},
	} {
		f := base
		f.bfdInterval, f.bfdMultiplier = tc.interval, tc.mult
		cfg, err := cpSpeakerConfig(&f)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s x%d: error %v, want one naming %s", tc.interval, tc.mult, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s x%d: %v", tc.interval, tc.mult, err)
		case cfg.Peers[0].BFD != tc.want:
			t.Errorf("%s x%d: BFD %+v, want %+v", tc.interval, tc.mult, cfg.Peers[0].BFD, tc.want)
		}
	}
}
