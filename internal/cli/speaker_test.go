package cli

import (
	"net/netip"
	"strings"
	"testing"
)

func TestSpeakerRejectsBadFlags(t *testing.T) {
	t.Setenv("NODE_NAME", "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"speaker", "--kubeconfig", "x"}, "no node name: pass --node NAME"},
		{[]string{"speaker", "--node", "node1", "--kubeconfig", "/nonexistent/kubeconfig"}, "failed to load kubeconfig /nonexistent/kubeconfig"},
		{[]string{"speaker", "extra"}, "unknown command"},
	}
	for _, tt := range tests {
		_, _, err := runCLI(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("lblab %s: error %v, want %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
}

// TestSpeakerSourceAddressFlag: --bgp-source-address takes at most one
// IPv4 and one IPv6 unicast address, and is checked before anything else
// is loaded.
func TestSpeakerSourceAddressFlag(t *testing.T) {
	tests := []struct {
		name  string
		addrs []string
		want  string // error; empty: parsed, so the speaker goes on to the kubeconfig
	}{
		{"one IPv4", []string{"10.89.1.111"}, ""},
		{"one of each", []string{"fd00:89:1::111", "10.89.1.111"}, ""},
		{"IPv4-mapped counts as IPv4", []string{"::ffff:10.89.1.111", "fd00:89:1::111"}, ""},
		{"not an address", []string{"node1"}, `--bgp-source-address "node1" is not an IP address`},
		{"a prefix", []string{"10.89.1.111/24"}, `--bgp-source-address "10.89.1.111/24" is not an IP address`},
		{"empty", []string{""}, `--bgp-source-address "" is not an IP address`},
		{"two IPv4", []string{"10.89.1.111", "10.89.1.112"}, "--bgp-source-address: two IPv4 source addresses, 10.89.1.111 and 10.89.1.112"},
		{"two IPv4, one mapped", []string{"10.89.1.111", "::ffff:10.89.1.112"}, "--bgp-source-address: two IPv4 source addresses"},
		{"two IPv6", []string{"fd00::1", "10.89.1.111", "fd00::2"}, "--bgp-source-address: two IPv6 source addresses, fd00::1 and fd00::2"},
		{"unspecified IPv4", []string{"0.0.0.0"}, "--bgp-source-address: source address 0.0.0.0 is not a unicast address"},
		{"unspecified IPv6", []string{"::"}, "--bgp-source-address: source address :: is not a unicast address"},
		{"multicast", []string{"224.0.0.5"}, "--bgp-source-address: source address 224.0.0.5 is not a unicast address"},
		{"multicast IPv6", []string{"ff02::5"}, "--bgp-source-address: source address ff02::5 is not a unicast address"},
		{"broadcast", []string{"255.255.255.255"}, "--bgp-source-address: source address 255.255.255.255 is not a unicast address"},
		{"zone", []string{"fe80::1%eth0"}, "--bgp-source-address: source address fe80::1%eth0 has a zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"speaker", "--node", "node1", "--kubeconfig", "/nonexistent/kubeconfig"}
			for _, a := range tt.addrs {
				args = append(args, "--bgp-source-address", a)
			}
			want := tt.want
			if want == "" {
				want = "failed to load kubeconfig /nonexistent/kubeconfig"
			}
			_, _, err := runCLI(t, args...)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("lblab %s: error %v, want %q", strings.Join(args, " "), err, want)
			}
		})
	}
}

func TestParseSourceAddrs(t *testing.T) {
	got, err := parseSourceAddrs([]string{"::ffff:10.89.1.111", "fd00:89:1::111"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != netip.MustParseAddr("10.89.1.111") || got[1] != netip.MustParseAddr("fd00:89:1::111") {
		t.Errorf("parseSourceAddrs = %v, want [10.89.1.111 fd00:89:1::111] (IPv4-mapped unmapped)", got)
	}
	if got, err := parseSourceAddrs(nil); err != nil || got != nil {
		t.Errorf("parseSourceAddrs(nil) = %v, %v; want none and no error", got, err)
	}
}
