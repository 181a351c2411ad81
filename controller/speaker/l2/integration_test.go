package l2_test

import (
	"context"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/controller/speaker/l2"
	"github.com/lblab/lblab/internal/l2probe"
	"github.com/lblab/lblab/internal/l2probe/l2probetest"
	"github.com/lblab/lblab/internal/testutil"
	"github.com/vishvananda/netlink"
)

var (
	lb4    = l2probetest.Addr(false, 200) // 10.77.0.200
	lb6    = l2probetest.Addr(true, 200)  // fd77::c8
	free4  = l2probetest.Addr(false, 201)
	free6  = l2probetest.Addr(true, 201)
	shared = netip.MustParseAddr("fd77::1:0:c8") // same solicited-node group as lb6
)

// lab is a pair with a Responder running on A's eth0.
type lab struct {
	t *testing.T
	p *l2probetest.Pair
	r *l2.Responder
}

func newLab(t *testing.T, f l2probetest.Families) *lab {
	testutil.Integration(t)
	l := &lab{t: t, p: l2probetest.NewWith(t, f)}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	err := l.p.A.Do(func() error {
		ip := lb4
		if f.NoV4 {
			ip = lb6
		}
		ifi, err := l2.InterfaceFor(ip, nil)
		if err != nil {
			return err
		}
		if ifi.Name != l2probetest.IfName || ifi.Index != l.p.A.Index {
			t.Errorf("InterfaceFor(%s) = %s (%d), want %s (%d)", ip, ifi.Name, ifi.Index, l2probetest.IfName, l.p.A.Index)
		}
		l.r, err = l2.NewResponder(ifi, log)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5s of its context ending")
		}
		if o := l.r.Owned(); len(o) != 0 {
			t.Errorf("Owned() after Run = %v, want none", o)
		}
		l.r.Set([]netip.Addr{lb4}) // ignored, no panic
	})
	return l
}

// probe asks from B who answers for ip; "" is nobody.
func (l *lab) probe(ip netip.Addr) string {
	l.t.Helper()
	got, err := l2probe.Probe(context.Background(), l.p.B.Path, l2probetest.IfName, ip, 300*time.Millisecond)
	if err != nil {
		l.t.Fatal(err)
	}
	s := make([]string, len(got))
	for i, m := range got {
		s[i] = m.String()
	}
	return strings.Join(s, " ")
}

func (l *lab) expect(step string, want map[netip.Addr]string) {
	l.t.Helper()
	for _, ip := range slices.SortedFunc(maps.Keys(want), netip.Addr.Compare) {
		if got := l.probe(ip); got != want[ip] {
			l.t.Errorf("%s: %s answered by [%s], want [%s]", step, ip, got, want[ip])
		}
	}
}

// expectEventually is expect, tried until limit.
func (l *lab) expectEventually(step string, want map[netip.Addr]string, limit time.Duration) {
	l.t.Helper()
	start := time.Now()
	for _, ip := range slices.SortedFunc(maps.Keys(want), netip.Addr.Compare) {
		for {
			got := l.probe(ip)
			if got == want[ip] {
				break
			}
			if time.Since(start) > limit {
				l.t.Errorf("%s: %s answered by [%s] after %s, want [%s]", step, ip, got, limit, want[ip])
				break
			}
		}
	}
	l.t.Logf("%s: answers right after %s", step, time.Since(start).Round(time.Millisecond))
}

func (l *lab) expectOwned(want ...netip.Addr) {
	l.t.Helper()
	if got := l.r.Owned(); !slices.Equal(got, want) {
		l.t.Errorf("Owned() = %v, want %v", got, want)
	}
}

// waitNeigh waits until B's neighbour entry for ip has mac, and says how
// long it took.
func (l *lab) waitNeigh(ip netip.Addr, mac net.HardwareAddr, limit time.Duration) {
	l.t.Helper()
	start := time.Now()
	var last string
	for {
		ns, err := l.p.B.NL.NeighList(l.p.B.Index, family(ip))
		if err != nil {
			l.t.Fatal(err)
		}
		for _, n := range ns {
			if a, _ := netip.AddrFromSlice(n.IP); a.Unmap() == ip {
				last = n.HardwareAddr.String()
			}
		}
		if last == mac.String() {
			l.t.Logf("B's neighbour entry for %s is %s after %s", ip, mac, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) >= limit {
			l.t.Errorf("B's neighbour entry for %s is %q after %s, want %s", ip, last, limit, mac)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// setNeigh puts a neighbour entry for ip at mac in state into B's table.
func (l *lab) setNeigh(ip netip.Addr, mac net.HardwareAddr, state int) {
	l.t.Helper()
	n := &netlink.Neigh{LinkIndex: l.p.B.Index, Family: family(ip), State: state, IP: ip.AsSlice(), HardwareAddr: mac}
	if err := l.p.B.NL.NeighSet(n); err != nil {
		l.t.Fatalf("setting neighbour %s at %s (state %#x) in B: %v", ip, mac, state, err)
	}
}

// waitReachable waits until B's entry for ip is REACHABLE: B's kernel got
// a solicited answer to its own probe.
func (l *lab) waitReachable(ip netip.Addr, limit time.Duration) {
	l.t.Helper()
	start := time.Now()
	state := -1
	for time.Since(start) < limit {
		ns, err := l.p.B.NL.NeighList(l.p.B.Index, family(ip))
		if err != nil {
			l.t.Fatal(err)
		}
		for _, n := range ns {
			if a, _ := netip.AddrFromSlice(n.IP); a.Unmap() == ip {
				state = n.State
			}
		}
		if state == netlink.NUD_REACHABLE {
			l.t.Logf("B's neighbour entry for %s is REACHABLE after %s", ip, time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.t.Errorf("B's neighbour entry for %s is in state %#x after %s, want REACHABLE (%#x)", ip, state, limit, netlink.NUD_REACHABLE)
}

func family(ip netip.Addr) int {
	if ip.Is6() {
		return netlink.FAMILY_V6
	}
	return netlink.FAMILY_V4
}
