package speaker

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

func TestCheckSourceAddrs(t *testing.T) {
	tests := []struct {
		addrs []string
		want  string // error; empty: none
	}{
		{nil, ""},
		{[]string{"10.89.1.111"}, ""},
		{[]string{"fd00:89:1::111"}, ""},
		{[]string{"10.89.1.111", "fd00:89:1::111"}, ""},
		{[]string{"127.0.0.2"}, ""},
		{[]string{"10.89.1.111", "10.89.1.112"}, "two IPv4 source addresses, 10.89.1.111 and 10.89.1.112"},
		{[]string{"::ffff:10.89.1.111", "10.89.1.112"}, "two IPv4 source addresses, 10.89.1.111 and 10.89.1.112"},
		{[]string{"fd00::1", "fd00::2"}, "two IPv6 source addresses, fd00::1 and fd00::2"},
		{[]string{"0.0.0.0"}, "source address 0.0.0.0 is not a unicast address"},
		{[]string{"::"}, "source address :: is not a unicast address"},
		{[]string{"239.1.1.1"}, "source address 239.1.1.1 is not a unicast address"},
		{[]string{"ff05::2"}, "source address ff05::2 is not a unicast address"},
		{[]string{"255.255.255.255"}, "is not a unicast address"},
		{[]string{"fe80::1%eth0"}, "source address fe80::1%eth0 has a zone"},
	}
	for _, tt := range tests {
		err := CheckSourceAddrs(addrs(tt.addrs...))
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckSourceAddrs(%v) = %v, want %q", tt.addrs, err, tt.want)
		}
	}
	// New refuses them too.
	_, err := New(Config{Node: me, Client: fake.NewClientset(), Dynamic: dynfake.NewSimpleDynamicClient(runtime.NewScheme()),
		StartBGP:    func(context.Context, BGPConfig) (Announcer, error) { return newFakeAnnouncer(), nil },
		SourceAddrs: addrs("10.89.1.111", "10.89.1.112")})
	if err == nil || !strings.Contains(err.Error(), "two IPv4 source addresses") {
		t.Errorf("New with two IPv4 source addresses: error %v", err)
	}
}

// TestSourceAddrs: each session binds the source address of its peer's
// family, a peer of a family without one keeps the kernel's choice, and
// the IPv4 source is the router ID.
func TestSourceAddrs(t *testing.T) {
	tests := []struct {
		name     string
		sources  []string
		peers    []string // eventuallyPeers' form
		routerID string
	}{
		{"none", nil,
			[]string{"tor=10.89.1.1", "tor-v6=fd00:89:1::1"}, "10.89.1.11"},
		{"IPv4", []string{"10.89.1.111"},
			[]string{"tor=10.89.1.1 from 10.89.1.111", "tor-v6=fd00:89:1::1"}, "10.89.1.111"},
		{"IPv6", []string{"fd00:89:1::111"},
			[]string{"tor=10.89.1.1", "tor-v6=fd00:89:1::1 from fd00:89:1::111"}, "10.89.1.11"},
		{"both", []string{"fd00:89:1::111", "10.89.1.111"},
			[]string{"tor=10.89.1.1 from 10.89.1.111", "tor-v6=fd00:89:1::1 from fd00:89:1::111"}, "10.89.1.111"},
		{"IPv4-mapped", []string{"::ffff:10.89.1.111"},
			[]string{"tor=10.89.1.1 from 10.89.1.111", "tor-v6=fd00:89:1::1"}, "10.89.1.111"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startWith(t, Config{SourceAddrs: addrs(tt.sources...)}, me,
				[]runtime.Object{node(me, "10.89.1.11", nil)},
				peer("tor", "10.89.1.1", nil), peer("tor-v6", "fd00:89:1::1", nil))
			f.eventuallyPeers(tt.peers...)
			if got := f.ann.cfg.RouterID.String(); got != tt.routerID {
				t.Errorf("router ID %s, want %s", got, tt.routerID)
			}
		})
	}
}
