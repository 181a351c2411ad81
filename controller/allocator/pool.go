package allocator

import (
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/lblab/lblab/internal/netaddr"
)

// pool is a configured Pool with its spans and usage counts.
type pool struct {
	Pool
	spans  [2][]*span // by family index
	usable [2]*big.Int
	used   [2]int64 // addresses of the pool with a lease
}

func newPool(p Pool) *pool {
	out := &pool{Pool: p, usable: [2]*big.Int{new(big.Int), new(big.Int)}}
	rs := slices.Clone(p.Ranges)
	sort.Slice(rs, func(i, j int) bool { return rs[i].From.Less(rs[j].From) })
	for _, r := range rs {
		i := FamilyOf(r.From).index()
		s := newSpan(r, p.AvoidBuggyIPs)
		out.spans[i] = append(out.spans[i], s)
		out.usable[i].Add(out.usable[i], s.usable())
	}
	return out
}

func (p *pool) allows(s *Service) bool { return p.Matches == nil || p.Matches(s) }

func (p *pool) span(a netip.Addr) *span {
	for _, s := range p.spans[FamilyOf(a).index()] {
		if s.r.Contains(a) {
			return s
		}
	}
	return nil
}

func (p *pool) has(f Family) bool { return len(p.spans[f.index()]) > 0 }

// describe lists a family's ranges for messages, at most three.
func (p *pool) describe(f Family) string {
	var parts []string
	for i, s := range p.spans[f.index()] {
		if i == 3 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, rangeString(s.r))
	}
	return strings.Join(parts, ", ")
}

// rangeString writes a range as a CIDR when it is one.
func rangeString(r netaddr.Range) string {
	for bits := 0; bits <= r.From.BitLen(); bits++ {
		p := netip.PrefixFrom(r.From, bits)
		if p.Masked().Addr() == r.From && netaddr.LastAddr(p) == r.To {
			return p.String()
		}
	}
	return r.String()
}

// SetPools replaces the pool configuration. Pool names must be unique and
// no two ranges may overlap; on error nothing changes. Assignments stay:
// their pool is recomputed from their addresses, and addresses in no pool
// stay assigned as orphans.
func (a *Allocator) SetPools(pools []Pool) error {
	if err := checkPools(pools); err != nil {
		return err
	}
	old := a.pools
	a.pools = map[string]*pool{}
	a.auto = nil
	a.index = a.index[:0]
	for _, p := range pools {
		np := newPool(p)
		if o, ok := old[p.Name]; ok && o.AvoidBuggyIPs == p.AvoidBuggyIPs && slices.Equal(o.Ranges, p.Ranges) {
			np.spans, np.usable = o.spans, o.usable // keep the cursors and freed heaps
		}
		a.pools[p.Name] = np
		if p.AutoAssign {
			a.auto = append(a.auto, np)
		}
		for _, ss := range np.spans {
			for _, s := range ss {
				a.index = append(a.index, indexEntry{s.r, np})
			}
		}
	}
	sort.Slice(a.auto, func(i, j int) bool { return a.auto[i].Name < a.auto[j].Name })
	sort.Slice(a.index, func(i, j int) bool { return a.index[i].r.From.Less(a.index[j].r.From) })
	for ip, l := range a.leases {
		l.pool = a.poolOf(ip)
		if l.pool != nil {
			l.pool.used[FamilyOf(ip).index()]++
		}
	}
	for _, as := range a.services {
		as.pool = a.poolName(as.ips)
	}
	return nil
}

func checkPools(pools []Pool) error {
	type owned struct {
		r    netaddr.Range
		pool string
	}
	var all []owned
	names := map[string]bool{}
	for _, p := range pools {
		if p.Name == "" {
			return fmt.Errorf("a pool has no name")
		}
		if names[p.Name] {
			return fmt.Errorf("two pools are named %q", p.Name)
		}
		names[p.Name] = true
		for _, r := range p.Ranges {
			if !r.From.IsValid() || !r.To.IsValid() || r.From.BitLen() != r.To.BitLen() || r.To.Less(r.From) {
				return fmt.Errorf("pool %q: invalid range %s", p.Name, r)
			}
			all = append(all, owned{netaddr.Range{From: r.From.Unmap(), To: r.To.Unmap()}, p.Name})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].r.From.Less(all[j].r.From) })
	for i := 1; i < len(all); i++ {
		if all[i-1].r.Overlaps(all[i].r) {
			return fmt.Errorf("pool %q (%s) overlaps pool %q (%s)", all[i].pool, all[i].r, all[i-1].pool, all[i-1].r)
		}
	}
	return nil
}

// indexEntry maps a range to its pool, for lookups by address.
type indexEntry struct {
	r    netaddr.Range
	pool *pool
}

// poolOf returns the pool holding an address, or nil.
func (a *Allocator) poolOf(ip netip.Addr) *pool {
	i := sort.Search(len(a.index), func(i int) bool { return ip.Less(a.index[i].r.From) })
	if i == 0 {
		return nil
	}
	if e := a.index[i-1]; e.r.Contains(ip) {
		return e.pool
	}
	return nil
}

func (a *Allocator) poolName(ips []netip.Addr) string {
	for _, ip := range ips {
		if p := a.poolOf(ip); p != nil {
			return p.Name
		}
	}
	return ""
}

// PoolOf returns the name of the pool holding an address, or "".
func (a *Allocator) PoolOf(ip netip.Addr) string {
	if p := a.poolOf(ip.Unmap()); p != nil {
		return p.Name
	}
	return ""
}

// Stats is the usage of one pool.
type Stats struct {
	// Used counts addresses in use (shared ones once), by family.
	UsedIPv4, UsedIPv6 int64
	// Usable counts addresses that can be handed out, by family.
	UsableIPv4, UsableIPv6 *big.Int
}

// AvailableIPv4 returns how many IPv4 addresses are free.
func (s Stats) AvailableIPv4() *big.Int {
	return new(big.Int).Sub(s.UsableIPv4, big.NewInt(s.UsedIPv4))
}

// AvailableIPv6 returns how many IPv6 addresses are free.
func (s Stats) AvailableIPv6() *big.Int {
	return new(big.Int).Sub(s.UsableIPv6, big.NewInt(s.UsedIPv6))
}

// Stats returns a pool's usage, and false for an unknown pool.
func (a *Allocator) Stats(name string) (Stats, bool) {
	p, ok := a.pools[name]
	if !ok {
		return Stats{}, false
	}
	return Stats{UsedIPv4: p.used[0], UsedIPv6: p.used[1],
		UsableIPv4: new(big.Int).Set(p.usable[0]), UsableIPv6: new(big.Int).Set(p.usable[1])}, true
}

// Pools returns the configured pool names, sorted.
func (a *Allocator) Pools() []string {
	out := make([]string, 0, len(a.pools))
	for n := range a.pools {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// InUseOutside returns the addresses now attributed to pool name that
// the given ranges do not contain: what a new spec of the pool would drop.
func (a *Allocator) InUseOutside(name string, ranges []netaddr.Range) []netip.Addr {
	var out []netip.Addr
	for ip, l := range a.leases {
		if l.pool == nil || l.pool.Name != name {
			continue
		}
		if !slices.ContainsFunc(ranges, func(r netaddr.Range) bool { return r.Contains(ip) }) {
			out = append(out, ip)
		}
	}
	slices.SortFunc(out, func(x, y netip.Addr) int { return x.Compare(y) })
	return out
}
