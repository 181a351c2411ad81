package cpvip

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/controller/speaker/bgp"
)

var (
	vip4 = netip.MustParseAddr("192.0.2.10")
	vip6 = netip.MustParseAddr("2001:db8::10")
)

// validConfig is a dual-stack configuration as a control-plane node would
// have it.
func validConfig() Config {
	return Config{
		VIPs: []netip.Addr{vip4, vip6},
		Peers: []bgp.Peer{
			{Address: netip.MustParseAddr("10.89.1.1"), ASN: 64496, LocalAddress: netip.MustParseAddr("10.89.1.112")},
			{Address: netip.MustParseAddr("fd00:89:1::1"), ASN: 64496, LocalAddress: netip.MustParseAddr("fd00:89:1::112")},
		},
		ASN: 64510, RouterID: netip.MustParseAddr("10.89.1.112"),
		ReadyzURL: "https://127.0.0.1:6443/readyz", CAFile: "/etc/kubernetes/pki/ca.crt",
	}
}

// validL2Config is control-plane1's L2 configuration in a lab of three.
func validL2Config() Config {
	return Config{
		Mode: ModeL2, VIPs: []netip.Addr{vip4, vip6}, Self: "control-plane1",
		Members: []Member{
			{Name: "control-plane2", ReadyzURL: "https://10.89.0.11:6443/readyz"},
			{Name: "control-plane3", ReadyzURL: "https://10.89.0.12:6443/readyz"},
		},
		ReadyzURL: "https://127.0.0.1:6443/readyz", CAFile: "/etc/kubernetes/pki/ca.crt",
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // an error containing it; empty: valid
	}{
		{"valid", func(*Config) {}, ""},
		{"IPv4 only", func(c *Config) { c.VIPs, c.Peers = c.VIPs[:1], c.Peers[:1] }, ""},
		{"IPv6 only, router ID still IPv4", func(c *Config) { c.VIPs, c.Peers = c.VIPs[1:], c.Peers[1:] }, ""},
		{"http needs no CA", func(c *Config) { c.ReadyzURL, c.CAFile = "http://[::1]:8080/readyz", "" }, ""},
		{"no VIP", func(c *Config) { c.VIPs = nil }, "no VIP: pass --vip ADDR"},
		{"unspecified VIP", func(c *Config) { c.VIPs = []netip.Addr{netip.IPv4Unspecified()} }, "--vip 0.0.0.0 is not a unicast address"},
		{"zero VIP", func(c *Config) { c.VIPs = []netip.Addr{{}} }, "--vip invalid IP is not a unicast address"},
		{"multicast VIP", func(c *Config) { c.VIPs = []netip.Addr{netip.MustParseAddr("ff02::5")} }, "--vip ff02::5 is not a unicast address"},
		{"VIP twice", func(c *Config) { c.VIPs = append(c.VIPs, netip.MustParseAddr("::ffff:192.0.2.10")) }, "--vip 192.0.2.10 is given twice"},
		{"IPv6 VIP without an IPv6 peer", func(c *Config) { c.Peers = c.Peers[:1] }, "--vip 2001:db8::10 is IPv6 but no --peer is"},
		{"IPv4 VIP without an IPv4 peer", func(c *Config) { c.Peers = c.Peers[1:] }, "--vip 192.0.2.10 is IPv4 but no --peer is"},
		{"no peer", func(c *Config) { c.Peers = nil }, "no peer: pass --peer ADDR"},
		{"peer without AS", func(c *Config) { c.Peers[0].ASN = 0 }, "--peer-asn is not set"},
		{"source of the other family", func(c *Config) { c.Peers[0].LocalAddress = netip.MustParseAddr("fd00::1") }, "--source fd00::1 is not of the family of --peer 10.89.1.1"},
		{"hold time below 3s", func(c *Config) { c.Peers[0].HoldTime = 2 * time.Second }, "--hold-time 2s must be whole seconds, at least 3s"},
		{"hold time not whole seconds", func(c *Config) { c.Peers[0].HoldTime = 3500 * time.Millisecond }, "--hold-time 3.5s must be whole seconds"},
		{"keepalive not below hold time", func(c *Config) { c.Peers[0].HoldTime, c.Peers[0].KeepaliveTime = 3*time.Second, 3*time.Second }, "--keepalive 3s must be whole seconds, below --hold-time 3s"},
		{"no ASN", func(c *Config) { c.ASN = 0 }, "--asn is not set"},
		{"no router ID", func(c *Config) { c.RouterID = netip.Addr{} }, "--router-id invalid IP is not an IPv4 address: pass one, or an IPv4 --source"},
		{"IPv6 router ID", func(c *Config) { c.RouterID = netip.MustParseAddr("fd00::1") }, "--router-id fd00::1 is not an IPv4 address"},
		{"no readyz", func(c *Config) { c.ReadyzURL = "" }, `--readyz "" is not an http(s) URL`},
		{"readyz without scheme", func(c *Config) { c.ReadyzURL = "127.0.0.1:6443/readyz" }, `--readyz "127.0.0.1:6443/readyz" is not an http(s) URL`},
		{"readyz of another scheme", func(c *Config) { c.ReadyzURL = "tcp://127.0.0.1:6443" }, "is not an http(s) URL"},
		{"https without CA", func(c *Config) { c.CAFile = "" }, "--ca is not set"},
		{"negative interval", func(c *Config) { c.Interval = -time.Second }, "--interval -1s is negative"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "--timeout -1s is negative"},
		{"negative fall", func(c *Config) { c.Fall = -1 }, "--fall -1 must be at least 1"},
		{"negative rise", func(c *Config) { c.Rise = -1 }, "--rise -1 must be at least 1"},
		{"explicit BGP mode", func(c *Config) { c.Mode = ModeBGP }, ""},
		{"unknown mode", func(c *Config) { c.Mode = "vrrp" }, `--mode "vrrp" is neither bgp nor l2`},
		{"BGP with members", func(c *Config) { c.Members = validL2Config().Members }, "--member is for --mode l2"},
		{"BGP with a name", func(c *Config) { c.Self = "control-plane1" }, "--name is for --mode l2"},
		{"BGP with an interface", func(c *Config) { c.Interface = "eth0" }, "--interface is for --mode l2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			err := c.withDefaults().validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestConfigValidateL2(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // an error containing it; empty: valid
	}{
		{"valid", func(*Config) {}, ""},
		{"IPv4 only", func(c *Config) { c.VIPs = c.VIPs[:1] }, ""},
		{"IPv6 only", func(c *Config) { c.VIPs = c.VIPs[1:] }, ""},
		{"alone, with an interface", func(c *Config) { c.Members, c.Interface = nil, "eth0" }, ""},
		{"no ASN, router ID or peer needed", func(c *Config) { c.ASN, c.RouterID, c.Peers = 0, netip.Addr{}, nil }, ""},
		{"http needs no CA", func(c *Config) {
			c.ReadyzURL, c.CAFile = "http://127.0.0.1:8080/readyz", ""
			c.Members = []Member{{Name: "control-plane2", ReadyzURL: "http://10.89.0.11:8080/readyz"}}
		}, ""},
		{"no VIP", func(c *Config) { c.VIPs = nil }, "no VIP: pass --vip ADDR"},
		{"multicast VIP", func(c *Config) { c.VIPs = []netip.Addr{netip.MustParseAddr("224.0.0.18")} }, "--vip 224.0.0.18 is not a unicast address"},
		{"VIP twice", func(c *Config) { c.VIPs = append(c.VIPs, vip4) }, "--vip 192.0.2.10 is given twice"},
		{"a peer", func(c *Config) { c.Peers = validConfig().Peers }, "--peer is for --mode bgp"},
		{"no name", func(c *Config) { c.Self = "" }, "--name is not set"},
		{"member without a name", func(c *Config) { c.Members[0].Name = "" }, "--member =https://10.89.0.11:6443/readyz has no name"},
		{"member is this node", func(c *Config) { c.Members[1].Name = "control-plane1" }, "--member control-plane1 is this node (--name)"},
		{"member twice", func(c *Config) { c.Members[1].Name = "control-plane2" }, "--member control-plane2 is given twice"},
		{"member URL without scheme", func(c *Config) { c.Members[0].ReadyzURL = "10.89.0.11:6443/readyz" },
			`--member control-plane2: "10.89.0.11:6443/readyz" is not an http(s) URL`},
		{"member URL without host", func(c *Config) { c.Members[1].ReadyzURL = "https:///readyz" },
			`--member control-plane3: "https:///readyz" is not an http(s) URL`},
		{"https member without CA", func(c *Config) { c.ReadyzURL, c.CAFile = "http://127.0.0.1:8080/readyz", "" }, "--ca is not set"},
		{"bad readyz", func(c *Config) { c.ReadyzURL = "" }, `--readyz "" is not an http(s) URL`},
		{"negative fall", func(c *Config) { c.Fall = -1 }, "--fall -1 must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validL2Config()
			tt.change(&c)
			err := c.withDefaults().validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestConfigDefaults: zero fields get the documented defaults, and peers a
// name and this speaker's AS.
func TestConfigDefaults(t *testing.T) {
	c := validConfig().withDefaults()
	if c.Mode != ModeBGP {
		t.Errorf("mode %q, want %q", c.Mode, ModeBGP)
	}
	if c.Interval != 200*time.Millisecond || c.Timeout != 500*time.Millisecond || c.Fall != 2 || c.Rise != 2 {
		t.Errorf("interval %s, timeout %s, fall %d, rise %d; want 200ms, 500ms, 2, 2", c.Interval, c.Timeout, c.Fall, c.Rise)
	}
	for i, want := range []string{"tor-10.89.1.1", "tor-fd00:89:1::1"} {
		if p := c.Peers[i]; p.Name != want || p.LocalASN != 64510 {
			t.Errorf("peer %d: name %q, local AS %d; want %q, 64510", i, p.Name, p.LocalASN, want)
		}
	}
}
