package l2

import (
	"net/netip"
	"strings"
	"testing"
)

func mkLink(name string, up bool, prefixes ...string) *link {
	l := &link{name: name, up: up}
	for _, p := range prefixes {
		l.prefixes = append(l.prefixes, netip.MustParsePrefix(p))
	}
	return l
}

func TestChooseInterface(t *testing.T) {
	node := []*link{
		mkLink("lo", true, "127.0.0.1/8", "::1/128"),
		mkLink("eth0", true, "172.18.0.2/16", "fc00:f853::2/64", "fe80::1/64"),
		mkLink("eth1", true, "10.0.0.5/24", "fd00:10::5/64"),
		mkLink("kube-ipvs0", true, "10.0.0.200/32", "fd00:10::c8/128"),
		mkLink("eth2", false, "192.168.9.1/24"),
	}
	for _, tc := range []struct {
		name    string
		ip      string
		allowed []string
		links   []*link
		want    string   // interface, or "" for an error
		errHas  []string // words the error must contain
	}{
		{name: "IPv4 in eth1's subnet", ip: "10.0.0.200", links: node, want: "eth1"},
		{name: "IPv6 in eth1's subnet", ip: "fd00:10::c8", links: node, want: "eth1"},
		{name: "IPv4 in eth0's subnet", ip: "172.18.255.200", links: node, want: "eth0"},
		{name: "IPv6 in eth0's subnet", ip: "fc00:f853::c8", links: node, want: "eth0"},
		{name: "IPv4-mapped IPv6 is IPv4", ip: "::ffff:10.0.0.200", links: node, want: "eth1"},
		{name: "allowed includes the match", ip: "10.0.0.200", allowed: []string{"eth1", "eth0"}, links: node, want: "eth1"},
		{name: "allowed excludes the match", ip: "10.0.0.200", allowed: []string{"eth0"}, links: node,
			errHas: []string{"10.0.0.200", "among eth0", "eth1 [10.0.0.5/24 fd00:10::5/64]"}},
		{name: "no subnet", ip: "203.0.113.7", links: node,
			errHas: []string{"203.0.113.7", "eth0 [172.18.0.2/16", "lo [127.0.0.1/8 ::1/128]"}},
		{name: "down interface ignored", ip: "192.168.9.200", links: node,
			errHas: []string{"192.168.9.200", "eth2 (down) [192.168.9.1/24]"}},
		{name: "host routes ignored", ip: "fd00:10::c8", allowed: []string{"kube-ipvs0"}, links: node,
			errHas: []string{"fd00:10::c8", "among kube-ipvs0"}},
		{name: "own address", ip: "10.0.0.5", links: node, errHas: []string{"10.0.0.5", "eth1", "kernel"}},
		{name: "longest prefix wins", ip: "10.1.2.3", want: "br1", links: []*link{
			mkLink("br0", true, "10.0.0.1/8"), mkLink("br1", true, "10.1.2.1/24"), mkLink("br2", true, "10.1.0.1/16"),
		}},
		{name: "tie is an error", ip: "10.0.0.200", links: []*link{
			mkLink("eth0", true, "10.0.0.1/24"), mkLink("eth1", true, "10.0.0.2/24"),
		}, errHas: []string{"several", "eth0, eth1", "10.0.0.200"}},
		{name: "two addresses on one interface", ip: "10.0.0.200", want: "eth0", links: []*link{
			mkLink("eth0", true, "10.0.0.1/24", "10.0.0.2/24"),
		}},
		{name: "no interfaces", ip: "10.0.0.200", errHas: []string{"no interfaces"}},
		{name: "invalid IP", ip: "", links: node, errHas: []string{"no IP"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ip netip.Addr
			if tc.ip != "" {
				ip = netip.MustParseAddr(tc.ip)
			}
			got, err := chooseInterface(ip, tc.allowed, tc.links)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("chooseInterface = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("chooseInterface = %q, want an error", got)
			}
			for _, w := range tc.errHas {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
