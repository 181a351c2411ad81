package l2_test

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/controller/speaker/l2"
	"github.com/lblab/lblab/internal/l2probe/l2probetest"
	"github.com/lblab/lblab/internal/testutil"
	"github.com/vishvananda/netlink"
)

// TestIntegrationResponder runs a Responder in namespace A and asks from B,
// over a veth pair, who answers: for the IPs it owns (A's MAC, once), for
// A's own addresses (the kernel: A's MAC), for nobody's (no one); that a
// removed IP goes quiet at once; that IPs sharing a solicited-node group
// keep it while one is owned; that taking an IP over, or announcing it
// again, moves B's stale neighbour entry to A's MAC within 2s; and that
// B's kernel's unicast
// reachability probes are answered.
func TestIntegrationResponder(t *testing.T) {
	l := newLab(t, l2probetest.Families{})
	a := l.p.A.MAC.String()
	own4, own6 := l.p.A.V4.Addr(), l.p.A.V6.Addr()

	l.r.Set([]netip.Addr{lb4, lb6, own4, netip.AddrFrom16(lb4.As16())})
	l.expectOwned(lb4, lb6) // own4 is the kernel's, the mapped one is lb4
	l.expect("owned", map[netip.Addr]string{
		lb4: a, lb6: a, // the Responder
		own4: a, own6: a, // the kernel, proving the probe
		free4: "", free6: "",
	})

	l.r.Set(nil)
	l.expectOwned()
	l.expect("after Set(nil)", map[netip.Addr]string{lb4: "", lb6: "", own4: a, own6: a})

	l.r.Set([]netip.Addr{lb6, shared})
	l.expect("shared group", map[netip.Addr]string{lb6: a, shared: a})
	l.r.Set([]netip.Addr{shared})
	l.expect("group kept for the other IP", map[netip.Addr]string{lb6: "", shared: a})
	l.r.Set(nil)
	l.expect("group left", map[netip.Addr]string{shared: ""})

	wrong := net.HardwareAddr{0x02, 0xde, 0xad, 0xbe, 0xef, 0x01}
	l.setNeigh(lb4, wrong, netlink.NUD_STALE)
	l.setNeigh(lb6, wrong, netlink.NUD_STALE)
	l.waitNeigh(lb4, wrong, 0) // sanity: the wrong entries are there
	l.waitNeigh(lb6, wrong, 0)
	l.r.Set([]netip.Addr{lb4, lb6})
	l.waitNeigh(lb4, l.p.A.MAC, 2*time.Second)
	l.waitNeigh(lb6, l.p.A.MAC, 2*time.Second)
	l.expect("after takeover", map[netip.Addr]string{lb4: a, lb6: a})

	// Announce moves a wrong entry back although the IPs stay owned (an
	// owner that was cut off while another node took them over). The
	// takeover's own repeats (announceAt) are over first.
	time.Sleep(1200 * time.Millisecond)
	l.setNeigh(lb4, wrong, netlink.NUD_STALE)
	l.setNeigh(lb6, wrong, netlink.NUD_STALE)
	l.waitNeigh(lb4, wrong, 0)
	l.r.Announce()
	l.waitNeigh(lb4, l.p.A.MAC, 2*time.Second)
	l.waitNeigh(lb6, l.p.A.MAC, 2*time.Second)

	// B's kernel re-checks a stale entry with unicast probes sent to the
	// LB IP itself; unanswered, the entry fails after 3 probes (3s).
	for _, ip := range []netip.Addr{lb4, lb6} {
		l.setNeigh(ip, l.p.A.MAC, netlink.NUD_PROBE)
		l.waitReachable(ip, 2500*time.Millisecond)
	}

	// A flap of A's interface is waited out (IPv6 comes back once A's
	// link-local has passed DAD again).
	link, err := l.p.A.NL.LinkByIndex(l.p.A.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.p.A.NL.LinkSetDown(link); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := l.p.A.NL.LinkSetUp(link); err != nil {
		t.Fatal(err)
	}
	l.expectEventually("after a flap", map[netip.Addr]string{lb4: a, lb6: a}, 5*time.Second)
}

// TestIntegrationResponderOneFamily runs the Responder on an interface with
// one family only: it serves that family and leaves the other out.
func TestIntegrationResponderOneFamily(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fam    l2probetest.Families
		served netip.Addr
		other  netip.Addr
	}{
		{"IPv4 only: ARP", l2probetest.Families{NoV6: true}, lb4, lb6},
		{"IPv6 only: NDP", l2probetest.Families{NoV4: true}, lb6, lb4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, tc.fam)
			l.r.Set([]netip.Addr{lb4, lb6})
			l.expectOwned(tc.served)
			want := map[netip.Addr]string{tc.served: l.p.A.MAC.String()}
			if tc.fam.NoV6 {
				want[tc.other] = "" // B can still ask; nobody answers
			}
			l.expect("one family", want)
		})
	}
}

// TestIntegrationNewResponderNoAddress checks the error for an interface
// with neither IPv4 nor a link-local (B's spacer0: down, no addresses).
func TestIntegrationNewResponderNoAddress(t *testing.T) {
	testutil.Integration(t)
	p := l2probetest.New(t)
	err := p.B.Do(func() error {
		ifi, err := net.InterfaceByName("spacer0")
		if err != nil {
			return err
		}
		r, err := l2.NewResponder(ifi, nil)
		if err == nil {
			r.Close()
			t.Fatal("NewResponder on spacer0 succeeded")
		}
		for _, w := range []string{"spacer0", "IPv4", "link-local"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
