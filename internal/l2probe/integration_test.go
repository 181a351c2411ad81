package l2probe_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/l2probe"
	"github.com/lblab/lblab/internal/l2probe/l2probetest"
	"github.com/lblab/lblab/internal/testutil"
)

const wait = 300 * time.Millisecond

// TestIntegrationKernelAnswers probes, across a veth pair, the addresses the
// kernel owns (one answer: the owner's MAC) and addresses nobody owns (no
// answer), in both directions and both families.
func TestIntegrationKernelAnswers(t *testing.T) {
	testutil.Integration(t)
	p := l2probetest.New(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		from, to *l2probetest.Side
		target   netip.Addr
		want     string // "" = nobody
	}{
		{"B asks A's IPv4", &p.B, &p.A, p.A.V4.Addr(), p.A.MAC.String()},
		{"B asks A's IPv6", &p.B, &p.A, p.A.V6.Addr(), p.A.MAC.String()},
		{"A asks B's IPv4", &p.A, &p.B, p.B.V4.Addr(), p.B.MAC.String()},
		{"A asks B's IPv6", &p.A, &p.B, p.B.V6.Addr(), p.B.MAC.String()},
		{"IPv4 nobody owns", &p.B, nil, l2probetest.Addr(false, 201), ""},
		{"IPv6 nobody owns", &p.B, nil, l2probetest.Addr(true, 201), ""},
		{"IPv4-mapped IPv6 is IPv4", &p.B, &p.A, netip.AddrFrom16(p.A.V4.Addr().As16()), p.A.MAC.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := l2probe.Probe(ctx, tc.from.Path, l2probetest.IfName, tc.target, wait)
			if err != nil {
				t.Fatal(err)
			}
			if s := macs(got); s != tc.want {
				t.Errorf("Probe(%s) = [%s], want [%s]", tc.target, s, tc.want)
			}
		})
	}
}

// TestIntegrationProbeErrors checks that errors name the namespace, the
// interface and what is missing.
func TestIntegrationProbeErrors(t *testing.T) {
	testutil.Integration(t)
	p := l2probetest.New(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, ifName string
		target       netip.Addr
		want         []string
	}{
		{"no such interface", "nope0", p.A.V4.Addr(), []string{p.B.Path, `"nope0"`}},
		{"no IPv4 for ARP", "spacer0", p.A.V4.Addr(), []string{p.B.Path, `"spacer0"`, "no IPv4 address"}},
		{"no link-local for NDP", "spacer0", p.A.V6.Addr(), []string{p.B.Path, `"spacer0"`, "no IPv6 link-local"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l2probe.Probe(ctx, p.B.Path, tc.ifName, tc.target, wait)
			if err == nil {
				t.Fatal("Probe succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestIntegrationProbeCanceled checks that a canceled context cuts the wait.
func TestIntegrationProbeCanceled(t *testing.T) {
	testutil.Integration(t)
	p := l2probetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := l2probe.Probe(ctx, p.B.Path, l2probetest.IfName, l2probetest.Addr(false, 201), time.Minute)
	if err != context.DeadlineExceeded {
		t.Errorf("err = %v, want %v", err, context.DeadlineExceeded)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Probe took %s after its context ended", d)
	}
}

func macs(m []net.HardwareAddr) string {
	s := make([]string, len(m))
	for i, a := range m {
		s[i] = a.String()
	}
	return strings.Join(s, " ")
}
