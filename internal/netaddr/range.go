package netaddr

import (
	"fmt"
	"math/big"
	"net/netip"
	"strings"
)

// Range is an inclusive range of addresses of one family.
type Range struct {
	From, To netip.Addr
}

// ParseRange parses "198.51.100.0/24", "2001:db8::/120", a single address,
// or an inclusive "198.51.100.10-198.51.100.20" range.
func ParseRange(s string) (Range, error) {
	s = strings.TrimSpace(s)
	if from, to, ok := strings.Cut(s, "-"); ok {
		a, err := netip.ParseAddr(strings.TrimSpace(from))
		if err != nil {
			return Range{}, fmt.Errorf("%q is not a CIDR or an a-b range: %q is not an address", s, from)
		}
		b, err := netip.ParseAddr(strings.TrimSpace(to))
		if err != nil {
			return Range{}, fmt.Errorf("%q is not a CIDR or an a-b range: %q is not an address", s, to)
		}
		if a.Is4() != b.Is4() {
			return Range{}, fmt.Errorf("%q mixes IPv4 and IPv6", s)
		}
		if b.Less(a) {
			return Range{}, fmt.Errorf("%q ends before it starts", s)
		}
		return Range{From: a.Unmap(), To: b.Unmap()}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return Range{}, fmt.Errorf("%q is not a valid prefix", s)
		}
		return PrefixRange(p), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return Range{}, fmt.Errorf("%q is not a CIDR or an a-b range", s)
	}
	return Range{From: a, To: a}, nil
}

// PrefixRange returns the range a prefix covers.
func PrefixRange(p netip.Prefix) Range {
	p = p.Masked()
	return Range{From: p.Addr(), To: LastAddr(p)}
}

// LastAddr returns the highest address of a prefix.
func LastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Is6 reports whether the range is IPv6.
func (r Range) Is6() bool { return r.From.Is6() }

// Contains reports whether a is inside the range.
func (r Range) Contains(a netip.Addr) bool {
	return a.BitLen() == r.From.BitLen() && r.From.Compare(a) <= 0 && a.Compare(r.To) <= 0
}

// Overlaps reports whether two ranges share an address.
func (r Range) Overlaps(o Range) bool {
	return r.From.BitLen() == o.From.BitLen() && r.From.Compare(o.To) <= 0 && o.From.Compare(r.To) <= 0
}

// Size returns how many addresses the range holds.
func (r Range) Size() *big.Int {
	n := new(big.Int).Sub(toInt(r.To), toInt(r.From))
	return n.Add(n, big.NewInt(1))
}

func (r Range) String() string {
	if r.From == r.To {
		return r.From.String()
	}
	return r.From.String() + "-" + r.To.String()
}

// Nth returns the n-th address of a prefix (0 is the network address), and
// false when the prefix is too small.
func Nth(p netip.Prefix, n uint64) (netip.Addr, bool) {
	base := toInt(p.Masked().Addr())
	a := fromInt(base.Add(base, new(big.Int).SetUint64(n)), p.Addr().Is4())
	return a, a.IsValid() && p.Contains(a)
}

func toInt(a netip.Addr) *big.Int { return new(big.Int).SetBytes(a.AsSlice()) }

func fromInt(i *big.Int, v4 bool) netip.Addr {
	size := 16
	if v4 {
		size = 4
	}
	if i.Sign() < 0 || i.BitLen() > size*8 {
		return netip.Addr{}
	}
	b := make([]byte, size)
	i.FillBytes(b)
	a, _ := netip.AddrFromSlice(b)
	return a
}
