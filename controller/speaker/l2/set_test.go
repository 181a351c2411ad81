package l2

import (
	"maps"
	"net/netip"
	"slices"
	"testing"
)

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestWanted(t *testing.T) {
	self := map[netip.Addr]bool{}
	for _, a := range addrs("10.0.0.5", "fd00::5", "fe80::5") {
		self[a] = true
	}
	for _, tc := range []struct {
		name        string
		ips         []netip.Addr
		v4, v6      bool
		want, skips []netip.Addr
	}{
		{"both families", addrs("10.0.0.200", "fd00::c8"), true, true, addrs("10.0.0.200", "fd00::c8"), nil},
		{"duplicates and mapped", addrs("10.0.0.200", "::ffff:10.0.0.200", "fd00::c8", "fd00::c8"), true, true, addrs("10.0.0.200", "fd00::c8"), nil},
		{"zones dropped", []netip.Addr{netip.MustParseAddr("fd00::c8").WithZone("eth0")}, true, true, addrs("fd00::c8"), nil},
		{"own addresses", addrs("10.0.0.5", "fd00::5", "10.0.0.200"), true, true, addrs("10.0.0.200"), addrs("10.0.0.5", "fd00::5")},
		{"IPv4-only interface", addrs("10.0.0.200", "fd00::c8"), true, false, addrs("10.0.0.200"), addrs("fd00::c8")},
		{"IPv6-only interface", addrs("10.0.0.200", "fd00::c8"), false, true, addrs("fd00::c8"), addrs("10.0.0.200")},
		{"not unicast", addrs("224.0.0.1", "ff02::1", "0.0.0.0", "::", "127.0.0.1", "fe80::c8"), true, true, nil, addrs("224.0.0.1", "ff02::1", "0.0.0.0", "::", "127.0.0.1", "fe80::c8")},
		{"invalid ignored", []netip.Addr{{}}, true, true, nil, nil},
		{"nothing", nil, true, true, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, skipped := wanted(tc.ips, self, tc.v4, tc.v6)
			if got := sorted(slices.Collect(maps.Keys(want))); !slices.Equal(got, sorted(tc.want)) {
				t.Errorf("wanted = %v, want %v", got, tc.want)
			}
			if got := sorted(slices.Collect(maps.Keys(skipped))); !slices.Equal(got, sorted(tc.skips)) {
				t.Errorf("skipped = %v, want %v", got, tc.skips)
			}
			for ip, why := range skipped {
				if why == "" {
					t.Errorf("no reason for skipping %s", ip)
				}
			}
		})
	}
}

func TestFamilies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		addrs  []netip.Addr
		v4, ll bool
	}{
		{"dual stack", addrs("10.0.0.5", "fd00::5", "fe80::5"), true, true},
		{"IPv4 only", addrs("10.0.0.5"), true, false},
		{"IPv6 without link-local", addrs("fd00::5"), false, false},
		{"IPv6 only", addrs("fd00::5", "fe80::5"), false, true},
		{"nothing", nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := map[netip.Addr]bool{}
			for _, a := range tc.addrs {
				m[a] = true
			}
			if v4, ll := families(m); v4 != tc.v4 || ll != tc.ll {
				t.Errorf("families = %v, %v; want %v, %v", v4, ll, tc.v4, tc.ll)
			}
		})
	}
}

func sorted(a []netip.Addr) []netip.Addr {
	a = slices.Clone(a)
	slices.SortFunc(a, netip.Addr.Compare)
	if a == nil {
		a = []netip.Addr{}
	}
	return a
}
