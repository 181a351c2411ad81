package allocator

import (
	"slices"
	"testing"
)

// checkInvariants verifies the allocator's internal consistency: leases
// and assignments agree, co-users of an address are compatible, usage
// counts are right, and every free address of a small range can still be
// found (after the cursor, or in the freed heap).
func checkInvariants(t testing.TB, a *Allocator) {
	t.Helper()
	for key, as := range a.services {
		if as.svc.Key != key {
			t.Fatalf("assignment %s has key %s", key, as.svc.Key)
		}
		for _, ip := range as.ips {
			l, ok := a.leases[ip]
			if !ok || l.users[key] != as {
				t.Fatalf("%s holds %s but the lease does not list it", key, ip)
			}
		}
		if want := a.poolName(as.ips); as.pool != want {
			t.Fatalf("%s: pool %q, want %q", key, as.pool, want)
		}
	}
	used := map[*pool][2]int64{}
	for ip, l := range a.leases {
		if len(l.users) == 0 {
			t.Fatalf("lease of %s has no users", ip)
		}
		if l.pool != a.poolOf(ip) {
			t.Fatalf("lease of %s is in the wrong pool", ip)
		}
		if l.pool != nil {
			u := used[l.pool]
			u[FamilyOf(ip).index()]++
			used[l.pool] = u
		}
		var users []*assignment
		for k, as := range l.users {
			if !slices.Contains(as.ips, ip) || as != a.services[k] {
				t.Fatalf("lease of %s lists %s, which does not hold it", ip, k)
			}
			if k := as.svc.SharingKey; k != "" {
				if _, ok := a.shared[k][ip]; !ok {
					t.Fatalf("%s is not indexed under sharing key %q", ip, k)
				}
			}
			users = append(users, as)
		}
		for i := range users {
			for j := i + 1; j < len(users); j++ {
				if why := shareConflict(&users[i].svc, &users[j].svc); why != "" {
					t.Fatalf("%s shared by %s and %s: %s", ip, users[i].svc.Key, users[j].svc.Key, why)
				}
			}
		}
	}
	for key, set := range a.shared {
		for ip := range set {
			l, ok := a.leases[ip]
			if !ok || !a.keyUses(l, key) {
				t.Fatalf("stale sharing index %q -> %s", key, ip)
			}
		}
	}
	for _, p := range a.pools {
		if used[p] != p.used {
			t.Fatalf("pool %s: used %v, counted %v", p.Name, p.used, used[p])
		}
		for _, spans := range p.spans {
			for _, s := range spans {
				checkSpan(t, a, s)
			}
		}
	}
}

func checkSpan(t testing.TB, a *Allocator, s *span) {
	t.Helper()
	if s.r.Size().Cmp(bigInt(4096)) > 0 {
		return
	}
	for ip := s.r.From; ; ip = ip.Next() {
		free := !a.inUse(ip) && !s.buggy(ip)
		reachable := (!s.done && !ip.Less(s.next)) || slices.Contains(s.freed, ip)
		if free && !reachable {
			t.Fatalf("free address %s of %s can no longer be allocated", ip, s.r)
		}
		if ip == s.r.To {
			return
		}
	}
}
