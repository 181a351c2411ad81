package allocator

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Allocate gives the Service addresses, or confirms the ones it holds.
// It keeps what the Service holds whenever that still satisfies it, so
// reconciling an unchanged Service changes nothing. The bool is true when
// the allocation changed. On error the Service keeps what it held.
func (a *Allocator) Allocate(s Service) (Allocation, bool, error) {
	s.IPs = unmapAll(s.IPs)
	want := s.wantFamilies()
	if err := checkRequest(&s, want); err != nil {
		return Allocation{}, false, err
	}
	cur := a.services[s.Key]
	if cur != nil && s.Policy == PreferDualStack && len(cur.ips) < len(want) && a.keeps(cur, &s, familiesOf(cur.ips)) &&
		subset(familiesOf(cur.ips), want) {
		// A PreferDualStack Service that got fewer families than it wants
		// takes the missing ones from its own pool when it can, and never
		// moves to another pool for them.
		if p, ok := a.pools[cur.pool]; ok {
			if ips, err := a.pick(&s, p, want, cur); err == nil {
				return a.record(s, ips), true, nil
			}
		}
		return a.record(s, cur.ips), false, nil
	}
	if cur != nil && a.keeps(cur, &s, want) {
		if cur.svc.SharingKey == s.SharingKey {
			cur.svc = s
			return Allocation{Pool: cur.pool, IPs: slices.Clone(cur.ips)}, false, nil
		}
		return a.record(s, cur.ips), false, nil
	}
	candidates, err := a.candidates(&s, cur)
	if err != nil {
		return Allocation{}, false, err
	}
	var errs []*Error
	for _, p := range candidates {
		ips, err := a.pick(&s, p, want, cur)
		if err == nil {
			return a.record(s, ips), true, nil
		}
		errs = append(errs, err)
	}
	if s.Policy == PreferDualStack && len(want) > 1 {
		// Degrade to one family, keeping the one the Service holds if any.
		order := slices.Clone(want)
		if cur != nil && len(cur.ips) > 0 {
			held := FamilyOf(cur.ips[0])
			slices.SortStableFunc(order, func(x, y Family) int { return boolCmp(y == held, x == held) })
		}
		for _, f := range order {
			if slices.ContainsFunc(s.IPs, func(ip netip.Addr) bool { return FamilyOf(ip) != f }) {
				continue // a requested address is never dropped
			}
			for _, p := range candidates {
				if ips, err := a.pick(&s, p, []Family{f}, cur); err == nil {
					return a.record(s, ips), true, nil
				}
			}
		}
	}
	return Allocation{}, false, combine(errs)
}

func familiesOf(ips []netip.Addr) []Family {
	out := make([]Family, len(ips))
	for i, ip := range ips {
		out[i] = FamilyOf(ip)
	}
	return out
}

func subset(a, b []Family) bool {
	for _, f := range a {
		if !slices.Contains(b, f) {
			return false
		}
	}
	return true
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func unmapAll(ips []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, len(ips))
	for i, ip := range ips {
		out[i] = ip.Unmap()
	}
	return out
}

func checkRequest(s *Service, want []Family) *Error {
	seen := map[Family]bool{}
	for _, ip := range s.IPs {
		f := FamilyOf(ip)
		if seen[f] {
			return fail(ReasonInvalid, fmt.Sprintf("two %s addresses requested; ask for at most one per family", f))
		}
		seen[f] = true
		if !slices.Contains(want, f) {
			return fail(ReasonInvalid, fmt.Sprintf("requested %s is %s, but the Service's IP families are %s", ip, f, familyList(want)))
		}
	}
	return nil
}

func familyList(fs []Family) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// keeps reports whether what the Service holds still satisfies it. Pool
// selectors and autoAssign are not re-checked: they apply when an address
// is chosen, and a held address never moves because of them.
func (a *Allocator) keeps(cur *assignment, s *Service, want []Family) bool {
	if s.Pool != "" && cur.pool != s.Pool {
		return false
	}
	for _, ip := range s.IPs {
		if !slices.Contains(cur.ips, ip) {
			return false
		}
	}
	if len(cur.ips) != len(want) {
		return false
	}
	for _, f := range want {
		if !slices.ContainsFunc(cur.ips, func(ip netip.Addr) bool { return FamilyOf(ip) == f }) {
			return false
		}
	}
	for _, ip := range cur.ips {
		if a.conflict(ip, s) != "" {
			return false
		}
	}
	return true
}

// candidates returns the pools to try, in order.
func (a *Allocator) candidates(s *Service, cur *assignment) ([]*pool, *Error) {
	switch {
	case s.Pool != "":
		p, ok := a.pools[s.Pool]
		if !ok {
			return nil, fail(ReasonUnknownPool, fmt.Sprintf("IPPool %q (annotation lblab.dev/ip-pool) does not exist", s.Pool))
		}
		if !p.allows(s) {
			return nil, fail(ReasonPoolNotAllowed, fmt.Sprintf("IPPool %q's serviceSelector or namespaceSelector does not match this Service", s.Pool))
		}
		return []*pool{p}, nil
	case len(s.IPs) > 0:
		p := a.poolOf(s.IPs[0])
		if p == nil {
			return nil, fail(ReasonNotInPool, fmt.Sprintf("requested %s is in no IPPool", s.IPs[0]))
		}
		if !p.allows(s) {
			return nil, fail(ReasonPoolNotAllowed, fmt.Sprintf("requested %s is in IPPool %q, whose serviceSelector or namespaceSelector does not match this Service", s.IPs[0], p.Name))
		}
		return []*pool{p}, nil
	}
	var out []*pool
	if cur != nil {
		if p, ok := a.pools[cur.pool]; ok && p.allows(s) {
			out = append(out, p)
		}
	}
	var why []string
	for _, p := range a.auto {
		if !p.allows(s) {
			why = append(why, fmt.Sprintf("%q's selectors do not match", p.Name))
			continue
		}
		if len(out) == 0 || out[0] != p {
			out = append(out, p)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, name := range a.Pools() {
		if !a.pools[name].AutoAssign {
			why = append(why, fmt.Sprintf("%q has autoAssign false", name))
		}
	}
	if len(why) == 0 {
		return nil, fail(ReasonNoPool, "there is no IPPool")
	}
	return nil, fail(ReasonNoPool, "no IPPool can be used automatically: "+strings.Join(why, ", ")+"; name one with the lblab.dev/ip-pool annotation or fix its selectors")
}

// pick chooses one address per family from pool p, or explains why not.
// Nothing changes on failure.
func (a *Allocator) pick(s *Service, p *pool, families []Family, cur *assignment) ([]netip.Addr, *Error) {
	var ips, taken []netip.Addr
	undo := func() {
		for _, ip := range taken {
			if sp := p.span(ip); sp != nil {
				sp.give(ip)
			}
		}
	}
	for _, f := range families {
		ip, err := a.pickFamily(s, p, f, cur, &taken)
		if err != nil {
			undo()
			return nil, err
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

func (a *Allocator) pickFamily(s *Service, p *pool, f Family, cur *assignment, taken *[]netip.Addr) (netip.Addr, *Error) {
	if !p.has(f) {
		return netip.Addr{}, fail(ReasonNoFamily, fmt.Sprintf("IPPool %q has no %s addresses", p.Name, f))
	}
	if ip, ok := s.requested(f); ok {
		switch {
		case a.poolOf(ip) != p:
			return netip.Addr{}, fail(ReasonNotInPool, fmt.Sprintf("requested %s is not in IPPool %q (%s)", ip, p.Name, p.describe(f)))
		case p.AvoidBuggyIPs && ip.Is4() && isBuggy(ip):
			return netip.Addr{}, fail(ReasonBuggyIP, fmt.Sprintf("requested %s ends in .0 or .255, which IPPool %q avoids (avoidBuggyIPs)", ip, p.Name))
		}
		if why := a.conflict(ip, s); why != "" {
			return netip.Addr{}, fail(ReasonInUse, "requested "+why)
		}
		return ip, nil
	}
	if cur != nil {
		for _, ip := range cur.ips {
			if FamilyOf(ip) == f && a.poolOf(ip) == p && a.conflict(ip, s) == "" {
				return ip, nil
			}
		}
	}
	if ips := a.sharable(s, p, f); len(ips) > 0 {
		return ips[0], nil
	}
	for _, sp := range p.spans[f.index()] {
		if ip, ok := sp.take(a.inUse); ok {
			*taken = append(*taken, ip)
			return ip, nil
		}
	}
	return netip.Addr{}, a.exhausted(p, f)
}

func (a *Allocator) exhausted(p *pool, f Family) *Error {
	i := f.index()
	what := fmt.Sprintf("all %s addresses", p.usable[i])
	if p.AvoidBuggyIPs && f == IPv4 {
		what = fmt.Sprintf("all %s usable addresses (avoidBuggyIPs skips .0 and .255)", p.usable[i])
	}
	return fail(ReasonExhausted, fmt.Sprintf("IPPool %q has no free %s address: %s of %s are in use", p.Name, f, what, p.describe(f)))
}

// Assign records addresses a Service already holds, e.g. from its status
// after a restart, whatever the pools say. It fails only when an address
// is held by another Service that cannot share it.
func (a *Allocator) Assign(s Service, ips []netip.Addr) (Allocation, error) {
	s.IPs = unmapAll(s.IPs)
	ips = unmapAll(ips)
	for i, ip := range ips {
		if slices.Contains(ips[:i], ip) {
			return Allocation{}, fail(ReasonInvalid, fmt.Sprintf("%s is listed twice", ip))
		}
		if why := a.conflict(ip, &s); why != "" {
			return Allocation{}, fail(ReasonInUse, why)
		}
	}
	return a.record(s, ips), nil
}
