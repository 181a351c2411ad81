package allocator

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
)

// conflict explains why s cannot use ip, or returns "" when it can: the
// address is free, or every other Service using it can share with s.
func (a *Allocator) conflict(ip netip.Addr, s *Service) string {
	l, ok := a.leases[ip]
	if !ok {
		return ""
	}
	keys := make([]string, 0, len(l.users))
	for k := range l.users {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == s.Key {
			continue
		}
		if why := shareConflict(&l.users[k].svc, s); why != "" {
			return fmt.Sprintf("%s is used by %s (%s)", ip, k, why)
		}
	}
	return ""
}

// shareConflict explains why two Services cannot share an address, or
// returns "" when they can.
func shareConflict(held, s *Service) string {
	switch {
	case held.SharingKey == "" && s.SharingKey == "":
		return "neither Service has the lblab.dev/sharing-key annotation"
	case held.SharingKey == "":
		return "it has no lblab.dev/sharing-key"
	case s.SharingKey == "":
		return fmt.Sprintf("it has sharing key %q and this Service has none", held.SharingKey)
	case held.SharingKey != s.SharingKey:
		return fmt.Sprintf("sharing key %q differs from %q", held.SharingKey, s.SharingKey)
	case held.Local != s.Local:
		return "externalTrafficPolicy differs: a Local Service shares only with Local Services with the same selector"
	case held.Local && held.Selector != s.Selector:
		return "externalTrafficPolicy is Local and the pod selectors differ"
	}
	if p, ok := collide(held.Ports, s.Ports); ok {
		return fmt.Sprintf("both use port %d/%s", p.Port, p.Protocol)
	}
	return ""
}

func collide(a, b []Port) (Port, bool) {
	for _, p := range a {
		if slices.Contains(b, p) {
			return p, true
		}
	}
	return Port{}, false
}

// sharable returns addresses of family f in pool p that Services with s's
// sharing key use and s may join, lowest first.
func (a *Allocator) sharable(s *Service, p *pool, f Family) []netip.Addr {
	if s.SharingKey == "" {
		return nil
	}
	var out []netip.Addr
	for ip := range a.shared[s.SharingKey] {
		if FamilyOf(ip) != f || a.poolOf(ip) != p || a.conflict(ip, s) != "" {
			continue
		}
		out = append(out, ip)
	}
	slices.SortFunc(out, func(x, y netip.Addr) int { return x.Compare(y) })
	return out
}
