package allocator

import (
	"strings"
	"testing"
)

// step is one operation on the allocator and what it must return.
type step struct {
	op     string // alloc (default), release, assign
	svc    Service
	assign string // for assign: the addresses held
	want   string // addresses, comma-separated, in family order
	pool   string // expected pool, when checked
	reason Reason // expected failure
	errHas string // substring of the failure message
}

func TestAllocate(t *testing.T) {
	v4 := []Family{IPv4}
	v6 := []Family{IPv6}
	ds := []Family{IPv4, IPv6}
	cases := []struct {
		name  string
		pools []string
		steps []step
	}{
		{"sequential then exhausted", []string{"small=198.51.100.0/30"}, []step{
			{svc: Service{Key: "ns/a"}, want: "198.51.100.0", pool: "small"},
			{svc: Service{Key: "ns/b"}, want: "198.51.100.1"},
			{svc: Service{Key: "ns/c"}, want: "198.51.100.2"},
			{svc: Service{Key: "ns/d"}, want: "198.51.100.3"},
			{svc: Service{Key: "ns/e"}, reason: ReasonExhausted,
				errHas: `IPPool "small" has no free IPv4 address: all 4 addresses of 198.51.100.0/30 are in use`},
		}},
		{"same service twice keeps its address", []string{"p=10.0.0.0/24"}, []step{
			{svc: Service{Key: "ns/a"}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/a", Ports: tcp(80)}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/b"}, want: "10.0.0.1"},
		}},
		{"released addresses come back lowest first", []string{"p=10.0.0.0/24"}, []step{
			{svc: Service{Key: "ns/a"}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/b"}, want: "10.0.0.1"},
			{svc: Service{Key: "ns/c"}, want: "10.0.0.2"},
			{op: "release", svc: Service{Key: "ns/c"}, want: "10.0.0.2"},
			{op: "release", svc: Service{Key: "ns/a"}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/d"}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/e"}, want: "10.0.0.2"},
			{svc: Service{Key: "ns/f"}, want: "10.0.0.3"},
		}},
		{"avoid buggy IPs", []string{"p=10.0.0.254-10.0.1.1;buggy"}, []step{
			{svc: Service{Key: "ns/a"}, want: "10.0.0.254"},
			{svc: Service{Key: "ns/b"}, want: "10.0.1.1"},
			{svc: Service{Key: "ns/c"}, reason: ReasonExhausted, errHas: "all 2 usable addresses (avoidBuggyIPs skips .0 and .255) of 10.0.0.254-10.0.1.1"},
			{svc: Service{Key: "ns/d", IPs: ips("10.0.1.0")}, reason: ReasonBuggyIP, errHas: "requested 10.0.1.0 ends in .0 or .255"},
		}},
		{"requested address", []string{"p=10.0.0.0/24", "q=10.0.1.0/24;manual"}, []step{
			{svc: Service{Key: "ns/a", IPs: ips("10.0.0.7")}, want: "10.0.0.7", pool: "p"},
			{svc: Service{Key: "ns/b", IPs: ips("10.0.0.7")}, reason: ReasonInUse,
				errHas: "requested 10.0.0.7 is used by ns/a (neither Service has the lblab.dev/sharing-key annotation)"},
			{svc: Service{Key: "ns/c", IPs: ips("10.0.1.9")}, want: "10.0.1.9", pool: "q"},
			{svc: Service{Key: "ns/d", IPs: ips("192.0.2.1")}, reason: ReasonNotInPool, errHas: "requested 192.0.2.1 is in no IPPool"},
			{svc: Service{Key: "ns/e", IPs: ips("10.0.0.1"), Pool: "q"}, reason: ReasonNotInPool, errHas: `requested 10.0.0.1 is not in IPPool "q" (10.0.1.0/24)`},
			{svc: Service{Key: "ns/f", IPs: ips("2001:db8::1")}, reason: ReasonInvalid, errHas: "requested 2001:db8::1 is IPv6, but the Service's IP families are [IPv4]"},
			{svc: Service{Key: "ns/a"}, want: "10.0.0.7"}, // dropping the request keeps the address
			{svc: Service{Key: "ns/a", IPs: ips("10.0.0.8")}, want: "10.0.0.8"},
			{svc: Service{Key: "ns/g", IPs: ips("10.0.0.7")}, want: "10.0.0.7"},
		}},
		{"pool by name", []string{"auto=10.0.0.0/24", "manual=10.0.1.0/24;manual"}, []step{
			{svc: Service{Key: "ns/a", Pool: "manual"}, want: "10.0.1.0", pool: "manual"},
			{svc: Service{Key: "ns/b"}, want: "10.0.0.0", pool: "auto"},
			{svc: Service{Key: "ns/c", Pool: "nope"}, reason: ReasonUnknownPool, errHas: `IPPool "nope" (annotation lblab.dev/ip-pool) does not exist`},
			{svc: Service{Key: "ns/b", Pool: "manual"}, want: "10.0.1.1", pool: "manual"},
		}},
		{"no automatic pool", []string{"manual=10.0.1.0/24;manual"}, []step{
			{svc: Service{Key: "ns/a"}, reason: ReasonNoPool, errHas: `no IPPool can be used automatically: "manual" has autoAssign false`},
		}},
		{"no pool at all", nil, []step{
			{svc: Service{Key: "ns/a"}, reason: ReasonNoPool, errHas: "there is no IPPool"},
		}},
		{"first pool by name, then the next", []string{"b=10.0.1.0/31", "a=10.0.0.0/32"}, []step{
			{svc: Service{Key: "ns/a"}, want: "10.0.0.0", pool: "a"},
			{svc: Service{Key: "ns/b"}, want: "10.0.1.0", pool: "b"},
			{svc: Service{Key: "ns/c"}, want: "10.0.1.1", pool: "b"},
			{svc: Service{Key: "ns/d"}, reason: ReasonExhausted, errHas: `no IPPool can give this Service its addresses: IPPool "a" has no free IPv4 address: all 1 addresses of 10.0.0.0/32 are in use; IPPool "b" has no free`},
		}},
		{"ipv6", []string{"p=2001:db8::/64"}, []step{
			{svc: Service{Key: "ns/a", Families: v6}, want: "2001:db8::"},
			{svc: Service{Key: "ns/b", Families: v6}, want: "2001:db8::1"},
			{svc: Service{Key: "ns/c", Families: v4}, reason: ReasonNoFamily, errHas: `IPPool "p" has no IPv4 addresses`},
		}},
		{"dual stack", []string{"d=10.0.0.0/31,2001:db8::/127", "v4=10.0.1.0/24"}, []step{
			{svc: Service{Key: "ns/a", Families: ds, Policy: RequireDualStack}, want: "10.0.0.0,2001:db8::", pool: "d"},
			{svc: Service{Key: "ns/b", Families: []Family{IPv6, IPv4}, Policy: PreferDualStack}, want: "2001:db8::1,10.0.0.1"},
			{svc: Service{Key: "ns/c", Families: ds, Policy: RequireDualStack}, reason: ReasonExhausted},
			{svc: Service{Key: "ns/d", Families: ds, Policy: PreferDualStack}, want: "10.0.1.0", pool: "v4"},
			{svc: Service{Key: "ns/e", Families: ds, Policy: SingleStack}, want: "10.0.1.1"},
			{op: "release", svc: Service{Key: "ns/a"}, want: "10.0.0.0,2001:db8::"},
			// e holds IPv4 from v4, which has no IPv6: going dual-stack
			// never moves it to pool d.
			{svc: Service{Key: "ns/e", Families: ds, Policy: PreferDualStack}, want: "10.0.1.1", pool: "v4"},
			// f holds IPv4 from d (restored), and gets d's free IPv6 too.
			{op: "assign", svc: Service{Key: "ns/f"}, assign: "10.0.0.0", want: "10.0.0.0"},
			{svc: Service{Key: "ns/f", Families: ds, Policy: PreferDualStack}, want: "10.0.0.0,2001:db8::", pool: "d"},
		}},
		{"sharing", []string{"p=10.0.0.0/24"}, []step{
			{svc: Service{Key: "ns/a", SharingKey: "k", Ports: tcp(80)}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/b", SharingKey: "k", Ports: tcp(443)}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/c", SharingKey: "k", Ports: tcp(80)}, want: "10.0.0.1"},
			{svc: Service{Key: "ns/d", SharingKey: "other", Ports: tcp(22)}, want: "10.0.0.2"},
			{svc: Service{Key: "ns/e", SharingKey: "k", Ports: tcp(443), IPs: ips("10.0.0.0")}, reason: ReasonInUse,
				errHas: "requested 10.0.0.0 is used by ns/b (both use port 443/TCP)"},
			{svc: Service{Key: "ns/f", SharingKey: "x", Ports: tcp(8080), IPs: ips("10.0.0.0")}, reason: ReasonInUse,
				errHas: `is used by ns/a (sharing key "k" differs from "x")`},
			{svc: Service{Key: "ns/g", SharingKey: "k", Ports: tcp(8080), Local: true, Selector: "app=web", IPs: ips("10.0.0.0")}, reason: ReasonInUse,
				errHas: "externalTrafficPolicy differs"},
			{op: "release", svc: Service{Key: "ns/a"}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/h", Ports: tcp(9)}, want: "10.0.0.3"}, // 10.0.0.0 is still b's
			// b changes its port to collide with c on .1: it stays on .0.
			{svc: Service{Key: "ns/b", SharingKey: "k", Ports: tcp(80)}, want: "10.0.0.0"},
			// c moves to 443, which now collides with nobody: no move either.
			{svc: Service{Key: "ns/c", SharingKey: "k", Ports: tcp(443)}, want: "10.0.0.1"},
		}},
		{"sharing with local traffic policy", []string{"p=10.0.0.0/24"}, []step{
			{svc: Service{Key: "ns/a", SharingKey: "k", Ports: tcp(80), Local: true, Selector: "app=web"}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/b", SharingKey: "k", Ports: tcp(81), Local: true, Selector: "app=web"}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/c", SharingKey: "k", Ports: tcp(82), Local: true, Selector: "app=db"}, want: "10.0.0.1"},
			{svc: Service{Key: "ns/d", SharingKey: "k", Ports: tcp(83)}, want: "10.0.0.2"},
			{svc: Service{Key: "ns/e", SharingKey: "k", Ports: tcp(84)}, want: "10.0.0.2"},
		}},
		{"ports collide after a change: the changed one moves", []string{"p=10.0.0.0/24"}, []step{
			{svc: Service{Key: "ns/a", SharingKey: "k", Ports: tcp(80)}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/b", SharingKey: "k", Ports: tcp(443)}, want: "10.0.0.0"},
			{svc: Service{Key: "ns/b", SharingKey: "k", Ports: tcp(80)}, want: "10.0.0.1"},
		}},
		{"restore after restart", []string{"p=10.0.0.0/29"}, []step{
			{op: "assign", svc: Service{Key: "ns/a"}, assign: "10.0.0.0", want: "10.0.0.0"},
			{op: "assign", svc: Service{Key: "ns/b"}, assign: "10.0.0.2", want: "10.0.0.2"},
			{op: "assign", svc: Service{Key: "ns/x"}, assign: "192.0.2.9", want: "192.0.2.9", pool: ""}, // orphan kept
			{op: "assign", svc: Service{Key: "ns/c"}, assign: "10.0.0.2", reason: ReasonInUse, errHas: "10.0.0.2 is used by ns/b"},
			{svc: Service{Key: "ns/c"}, want: "10.0.0.1"},
			{svc: Service{Key: "ns/d"}, want: "10.0.0.3"},
			{svc: Service{Key: "ns/x"}, want: "192.0.2.9"}, // a restored orphan is not moved
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAlloc(t, tc.pools...)
			for i, st := range tc.steps {
				runStep(t, a, i, st)
			}
			checkInvariants(t, a)
		})
	}
}

func runStep(t *testing.T, a *Allocator, i int, st step) {
	t.Helper()
	var got Allocation
	var err error
	switch st.op {
	case "", "alloc":
		got, _, err = a.Allocate(st.svc)
	case "release":
		got = Allocation{IPs: a.Release(st.svc.Key)}
	case "assign":
		got, err = a.Assign(st.svc, ips(strings.Split(st.assign, ",")...))
	}
	if st.reason != "" || st.errHas != "" {
		if err == nil {
			t.Fatalf("step %d (%s %s): got %s, want failure %s %q", i, st.op, st.svc.Key, got, st.reason, st.errHas)
		}
		if st.reason != "" && ReasonOf(err) != st.reason {
			t.Fatalf("step %d: reason %s, want %s (%v)", i, ReasonOf(err), st.reason, err)
		}
		if !strings.Contains(err.Error(), st.errHas) {
			t.Fatalf("step %d: error %q\ndoes not contain %q", i, err, st.errHas)
		}
		return
	}
	if err != nil {
		t.Fatalf("step %d (%s %s): %v", i, st.op, st.svc.Key, err)
	}
	if got.String() != st.want {
		t.Fatalf("step %d (%s %s): got %s, want %s", i, st.op, st.svc.Key, got, st.want)
	}
	if st.pool != "" && got.Pool != st.pool {
		t.Fatalf("step %d: pool %q, want %q", i, got.Pool, st.pool)
	}
}
