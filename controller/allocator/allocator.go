package allocator

import (
	"net/netip"
	"slices"
)

// Allocator is the state of every pool and assignment.
type Allocator struct {
	pools    map[string]*pool
	auto     []*pool      // autoAssign pools by name
	index    []indexEntry // every range, by first address
	leases   map[netip.Addr]*lease
	services map[string]*assignment
	shared   map[string]map[netip.Addr]struct{} // sharing key -> addresses
}

// lease is one address in use and the Services using it.
type lease struct {
	pool  *pool // nil for an address in no pool
	users map[string]*assignment
}

// assignment is what one Service holds.
type assignment struct {
	svc  Service
	pool string
	ips  []netip.Addr
}

// New returns an allocator with no pools.
func New() *Allocator {
	return &Allocator{pools: map[string]*pool{}, leases: map[netip.Addr]*lease{},
		services: map[string]*assignment{}, shared: map[string]map[netip.Addr]struct{}{}}
}

// Get returns what a Service holds.
func (a *Allocator) Get(key string) (Allocation, bool) {
	as, ok := a.services[key]
	if !ok {
		return Allocation{}, false
	}
	return Allocation{Pool: as.pool, IPs: slices.Clone(as.ips)}, true
}

// Len returns how many Services hold addresses.
func (a *Allocator) Len() int { return len(a.services) }

// Users returns the keys of the Services using an address, sorted.
func (a *Allocator) Users(ip netip.Addr) []string {
	l, ok := a.leases[ip.Unmap()]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l.users))
	for k := range l.users {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Release frees what a Service holds and returns its addresses. Shared
// addresses stay in use by the other Services.
func (a *Allocator) Release(key string) []netip.Addr {
	as, ok := a.services[key]
	if !ok {
		return nil
	}
	delete(a.services, key)
	for _, ip := range as.ips {
		a.unlease(ip, as)
	}
	return as.ips
}

// record gives ips to the Service, replacing what it held.
func (a *Allocator) record(s Service, ips []netip.Addr) Allocation {
	old := a.services[s.Key]
	as := &assignment{svc: s, ips: ips, pool: a.poolName(ips)}
	s.IPs = slices.Clone(s.IPs)
	a.services[s.Key] = as
	for _, ip := range ips {
		l, ok := a.leases[ip]
		if !ok {
			l = &lease{pool: a.poolOf(ip), users: map[string]*assignment{}}
			a.leases[ip] = l
			if l.pool != nil {
				l.pool.used[FamilyOf(ip).index()]++
			}
		}
		l.users[s.Key] = as
		if s.SharingKey != "" {
			m := a.shared[s.SharingKey]
			if m == nil {
				m = map[netip.Addr]struct{}{}
				a.shared[s.SharingKey] = m
			}
			m[ip] = struct{}{}
		}
	}
	if old != nil {
		for _, ip := range old.ips {
			l := a.leases[ip]
			switch {
			case l == nil:
			case l.users[s.Key] == old:
				a.unlease(ip, old)
			case old.svc.SharingKey != "" && old.svc.SharingKey != s.SharingKey && !a.keyUses(l, old.svc.SharingKey):
				a.dropShared(old.svc.SharingKey, ip)
			}
		}
	}
	return Allocation{Pool: as.pool, IPs: slices.Clone(ips)}
}

// unlease removes one Service from an address's lease, freeing the
// address when nobody is left.
func (a *Allocator) unlease(ip netip.Addr, as *assignment) {
	l, ok := a.leases[ip]
	if !ok || l.users[as.svc.Key] != as {
		return
	}
	delete(l.users, as.svc.Key)
	if key := as.svc.SharingKey; key != "" && !a.keyUses(l, key) {
		a.dropShared(key, ip)
	}
	if len(l.users) > 0 {
		return
	}
	delete(a.leases, ip)
	if l.pool != nil {
		l.pool.used[FamilyOf(ip).index()]--
		if s := l.pool.span(ip); s != nil {
			s.give(ip)
		}
	}
}

func (a *Allocator) dropShared(key string, ip netip.Addr) {
	delete(a.shared[key], ip)
	if len(a.shared[key]) == 0 {
		delete(a.shared, key)
	}
}

func (a *Allocator) keyUses(l *lease, key string) bool {
	for _, u := range l.users {
		if u.svc.SharingKey == key {
			return true
		}
	}
	return false
}

func (a *Allocator) inUse(ip netip.Addr) bool {
	_, ok := a.leases[ip]
	return ok
}
