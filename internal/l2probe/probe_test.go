package l2probe

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
)

var (
	ours   = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	theirs = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	other  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x03}
	src4   = netip.MustParseAddr("10.0.0.2")
	lb4    = netip.MustParseAddr("10.0.0.200")
	lb6    = netip.MustParseAddr("fd00::c8")
)

func TestAnswersARP(t *testing.T) {
	pkt := func(op arp.Operation, sha net.HardwareAddr, sip, tip netip.Addr) *arp.Packet {
		return &arp.Packet{Operation: op, SenderHardwareAddr: sha, SenderIP: sip, TargetHardwareAddr: ours, TargetIP: tip}
	}
	for _, tc := range []struct {
		name string
		p    *arp.Packet
		want bool
	}{
		{"reply to us", pkt(arp.OperationReply, theirs, lb4, src4), true},
		{"request", pkt(arp.OperationRequest, theirs, lb4, src4), false},
		{"reply for another IP", pkt(arp.OperationReply, theirs, lb4.Next(), src4), false},
		{"gratuitous reply", pkt(arp.OperationReply, theirs, lb4, lb4), false},
		{"our own frame", pkt(arp.OperationReply, ours, lb4, src4), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := answersARP(tc.p, ours, src4, lb4); got != tc.want {
				t.Errorf("answersARP = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAnswerNA(t *testing.T) {
	tlla := []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: theirs}}
	slla := []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: theirs}}
	for _, tc := range []struct {
		name string
		m    ndp.Message
		hops int
		want net.HardwareAddr
	}{
		{"solicited", &ndp.NeighborAdvertisement{Solicited: true, Override: true, TargetAddress: lb6, Options: tlla}, 255, theirs},
		{"unsolicited", &ndp.NeighborAdvertisement{Override: true, TargetAddress: lb6, Options: tlla}, 255, nil},
		{"other target", &ndp.NeighborAdvertisement{Solicited: true, TargetAddress: lb6.Next(), Options: tlla}, 255, nil},
		{"hop limit 254 (routed)", &ndp.NeighborAdvertisement{Solicited: true, TargetAddress: lb6, Options: tlla}, 254, nil},
		{"no target LLA", &ndp.NeighborAdvertisement{Solicited: true, TargetAddress: lb6, Options: slla}, 255, nil},
		{"a solicitation", &ndp.NeighborSolicitation{TargetAddress: lb6, Options: slla}, 255, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := answerNA(tc.m, tc.hops, lb6); got.String() != tc.want.String() {
				t.Errorf("answerNA = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSourceFor(t *testing.T) {
	pfx := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, p := range s {
			out = append(out, netip.MustParsePrefix(p))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		pfx  []netip.Prefix
		want string // "" = none
	}{
		{"in subnet", pfx("fe80::1/64", "192.168.1.1/24", "10.0.0.2/24"), "10.0.0.2"},
		{"first IPv4 otherwise", pfx("fd00::1/64", "192.168.1.1/24", "172.16.0.1/16"), "192.168.1.1"},
		{"no IPv4", pfx("fe80::1/64", "fd00::1/64"), ""},
		{"nothing", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := sourceFor(lb4, tc.pfx)
			if (tc.want == "") == ok || (ok && got.String() != tc.want) {
				t.Errorf("sourceFor = %v, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

func TestUniq(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []net.HardwareAddr
		want string
	}{
		{"none", nil, "[]"},
		{"one", []net.HardwareAddr{theirs}, "[02:00:00:00:00:02]"},
		{"dupes sorted", []net.HardwareAddr{other, theirs, other, ours}, "[02:00:00:00:00:01 02:00:00:00:00:02 02:00:00:00:00:03]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := uniq(tc.in)
			if got == nil {
				t.Fatal("uniq returned nil")
			}
			if s := fmtMACs(got); s != tc.want {
				t.Errorf("uniq = %s, want %s", s, tc.want)
			}
		})
	}
}

func fmtMACs(m []net.HardwareAddr) string {
	s := make([]string, len(m))
	for i, a := range m {
		s[i] = a.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}

// TestProbeErrors covers the failures that need no root.
func TestProbeErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		ns, ifName   string
		target       netip.Addr
		wantInErrors []string
	}{
		{"no target", "", "lo", netip.Addr{}, []string{"no target"}},
		{"missing namespace", "/nonexistent/netns/x", "eth0", lb4, []string{"/nonexistent/netns/x"}},
		{"missing interface v4", "", "l2nope0", lb4, []string{`"l2nope0"`, "current network namespace"}},
		{"missing interface v6", "", "l2nope0", lb6, []string{`"l2nope0"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Probe(ctx, tc.ns, tc.ifName, tc.target, 10*time.Millisecond)
			if err == nil {
				t.Fatal("Probe succeeded")
			}
			for _, w := range tc.wantInErrors {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
