package allocator

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestSetPoolsRejects(t *testing.T) {
	cases := []struct {
		name  string
		pools []string
		want  string
	}{
		{"overlap between pools", []string{"a=10.0.0.0/24", "b=10.0.0.128-10.0.1.5"}, `pool "b" (10.0.0.128-10.0.1.5) overlaps pool "a" (10.0.0.0-10.0.0.255)`},
		{"overlap inside a pool", []string{"a=10.0.0.0/24,10.0.0.7-10.0.0.9"}, `pool "a" (10.0.0.7-10.0.0.9) overlaps pool "a"`},
		{"duplicate name", []string{"a=10.0.0.0/24", "a=10.0.1.0/24"}, `two pools are named "a"`},
		{"v4 and v6 never overlap", []string{"a=0.0.0.0/0", "b=::/0"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := New()
			err := a.SetPools(mustPools(t, tc.pools...))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestStats(t *testing.T) {
	cases := []struct {
		pool       string
		v4, v6     string
		alloc      int
		avail4     string
		familiesV6 bool
	}{
		{pool: "p=10.0.0.0/24", v4: "256", v6: "0", alloc: 3, avail4: "253"},
		{pool: "p=10.0.0.0/24;buggy", v4: "254", v6: "0", alloc: 3, avail4: "251"},
		{pool: "p=10.0.0.255-10.0.2.0;buggy", v4: "254", v6: "0", alloc: 0, avail4: "254"},
		{pool: "p=10.0.0.0/32;buggy", v4: "0", v6: "0", alloc: 0, avail4: "0"},
		{pool: "p=10.0.0.1-10.0.0.254;buggy", v4: "254", v6: "0", alloc: 0, avail4: "254"},
		{pool: "p=10.0.0.0/16,2001:db8::/64", v4: "65536", v6: "18446744073709551616", alloc: 0, avail4: "65536"},
		{pool: "p=::/0", v4: "0", v6: "340282366920938463463374607431768211456", alloc: 0, avail4: "0"},
	}
	for _, tc := range cases {
		t.Run(tc.pool, func(t *testing.T) {
			a := newAlloc(t, tc.pool)
			for i := range tc.alloc {
				if _, _, err := a.Allocate(Service{Key: fmt.Sprint(i)}); err != nil {
					t.Fatal(err)
				}
			}
			st, ok := a.Stats("p")
			if !ok {
				t.Fatal("no stats")
			}
			if st.UsableIPv4.String() != tc.v4 || st.UsableIPv6.String() != tc.v6 || st.AvailableIPv4().String() != tc.avail4 {
				t.Fatalf("usable %s/%s available %s, want %s/%s %s", st.UsableIPv4, st.UsableIPv6, st.AvailableIPv4(), tc.v4, tc.v6, tc.avail4)
			}
			if st.UsedIPv4 != int64(tc.alloc) {
				t.Fatalf("used %d, want %d", st.UsedIPv4, tc.alloc)
			}
		})
	}
}

func TestReconfigure(t *testing.T) {
	a := newAlloc(t, "a=10.0.0.0/24", "b=10.0.1.0/24")
	for _, k := range []string{"x", "y"} {
		if _, _, err := a.Allocate(Service{Key: k, Pool: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	// Shrinking b would drop 10.0.1.1.
	if got := a.InUseOutside("b", mustPools(t, "b=10.0.1.0/32")[0].Ranges); fmt.Sprint(got) != "[10.0.1.1]" {
		t.Fatalf("InUseOutside = %v", got)
	}
	// Delete pool b: the addresses stay with their Services, in no pool.
	if err := a.SetPools(mustPools(t, "a=10.0.0.0/24")); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Get("x"); got.Pool != "" || got.String() != "10.0.1.0" {
		t.Fatalf("orphan: %+v", got)
	}
	if got, changed, err := a.Allocate(Service{Key: "x"}); err != nil || changed || got.String() != "10.0.1.0" {
		t.Fatalf("orphan moved: %v %v %v", got, changed, err)
	}
	// Pool b comes back larger: the addresses belong to it again, and new
	// allocations skip them.
	if err := a.SetPools(mustPools(t, "a=10.0.0.0/24", "b=10.0.1.0-10.0.2.255")); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Get("y"); got.Pool != "b" {
		t.Fatalf("y not back in b: %+v", got)
	}
	if got, _, err := a.Allocate(Service{Key: "z", Pool: "b"}); err != nil || got.String() != "10.0.1.2" {
		t.Fatalf("z: %v %v", got, err)
	}
	if st, _ := a.Stats("b"); st.UsedIPv4 != 3 {
		t.Fatalf("b used %d", st.UsedIPv4)
	}
	checkInvariants(t, a)
}

func TestUsers(t *testing.T) {
	a := newAlloc(t, "p=10.0.0.0/24")
	for _, k := range []string{"ns/b", "ns/a"} {
		if _, _, err := a.Allocate(Service{Key: k, SharingKey: "s", Ports: tcp(int32(len(k) + int(k[3])))}); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.Users(netip.MustParseAddr("10.0.0.0")); strings.Join(got, " ") != "ns/a ns/b" {
		t.Fatalf("users %v", got)
	}
	if a.PoolOf(netip.MustParseAddr("10.0.0.9")) != "p" || a.PoolOf(netip.MustParseAddr("10.0.1.0")) != "" {
		t.Fatal("PoolOf")
	}
}
