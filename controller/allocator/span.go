package allocator

import (
	"container/heap"
	"math/big"
	"net/netip"

	"github.com/lblab/lblab/internal/netaddr"
)

// span is one range of a pool. Every free address of the range is either
// at or after next, or in freed: allocation pops freed (lowest first) and
// then advances next, skipping addresses in use, so it never scans the
// range.
type span struct {
	r     netaddr.Range
	next  netip.Addr // first address never handed out by the cursor
	done  bool       // the cursor passed r.To
	freed addrHeap   // free addresses below next (may hold stale entries)
	avoid bool       // skip .0 and .255 (IPv4)
}

func newSpan(r netaddr.Range, avoidBuggy bool) *span {
	return &span{r: r, next: r.From, avoid: avoidBuggy && r.From.Is4()}
}

// take returns a free address of the span, or false when it has none;
// inUse reports addresses held by a lease.
func (s *span) take(inUse func(netip.Addr) bool) (netip.Addr, bool) {
	for s.freed.Len() > 0 {
		a := heap.Pop(&s.freed).(netip.Addr)
		if !inUse(a) && !s.buggy(a) {
			return a, true
		}
	}
	for !s.done {
		a := s.next
		if a == s.r.To {
			s.done = true
		} else {
			s.next = a.Next()
		}
		if !inUse(a) && !s.buggy(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// give returns a free address to the span: one the cursor has passed goes
// to the heap; one at or after the cursor will be found by it.
func (s *span) give(a netip.Addr) {
	if !s.r.Contains(a) {
		return
	}
	if s.done || a.Less(s.next) {
		heap.Push(&s.freed, a)
	}
}

func (s *span) buggy(a netip.Addr) bool {
	if !s.avoid {
		return false
	}
	return isBuggy(a)
}

// usable returns how many addresses of the span can be handed out.
func (s *span) usable() *big.Int {
	n := s.r.Size()
	if s.avoid {
		buggy := buggyUpTo(s.r.To) - buggyUpTo(s.r.From) + boolInt(isBuggy(s.r.From))
		n.Sub(n, new(big.Int).SetUint64(buggy))
	}
	return n
}

// buggyUpTo counts the addresses ending in .0 or .255 from 0.0.0.0 to a.
func buggyUpTo(a netip.Addr) uint64 {
	b := a.As4()
	n := uint64(b[0])<<16 | uint64(b[1])<<8 | uint64(b[2]) // complete /24s below a's /24
	c := 2*n + 1                                           // a's /24 always contains its .0
	if b[3] == 255 {
		c++
	}
	return c
}

func isBuggy(a netip.Addr) bool {
	last := a.As4()[3]
	return last == 0 || last == 255
}

func boolInt(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// addrHeap is a min-heap of addresses.
type addrHeap []netip.Addr

func (h addrHeap) Len() int           { return len(h) }
func (h addrHeap) Less(i, j int) bool { return h[i].Less(h[j]) }
func (h addrHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *addrHeap) Push(x any)        { *h = append(*h, x.(netip.Addr)) }
func (h *addrHeap) Pop() any {
	old := *h
	a := old[len(old)-1]
	*h = old[:len(old)-1]
	return a
}
