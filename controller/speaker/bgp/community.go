package bgp

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Community is a standard (RFC 1997, "65535:65282") or a large (RFC 8092,
// "64500:1:2") BGP community.
type Community struct {
	Large bool
	// Standard communities use A (the upper 16 bits) and B (the lower 16).
	A, B, C uint32
}

// wellKnown are the standard communities FRR and GoBGP also accept by name.
var wellKnown = map[string]uint32{
	"no-export":           0xFFFFFF01,
	"no-advertise":        0xFFFFFF02,
	"no-export-subconfed": 0xFFFFFF03,
	"no-peer":             0xFFFFFF04,
	"blackhole":           0xFFFF029A,
	"graceful-shutdown":   0xFFFF0000,
}

// ParseCommunity parses "A:B" (each 0-65535), "A:B:C" (each 0-4294967295)
// or a well-known name such as "no-export".
func ParseCommunity(s string) (Community, error) {
	if v, ok := wellKnown[strings.ToLower(s)]; ok {
		return Community{A: v >> 16, B: v & 0xFFFF}, nil
	}
	parts := strings.Split(s, ":")
	bits := 16
	if len(parts) == 3 {
		bits = 32
	} else if len(parts) != 2 {
		return Community{}, fmt.Errorf("invalid community %q: want A:B (standard), A:B:C (large) or a well-known name", s)
	}
	var v [3]uint32
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, bits)
		if err != nil {
			return Community{}, fmt.Errorf("invalid community %q: %q is not a number below 2^%d", s, p, bits)
		}
		v[i] = uint32(n)
	}
	return Community{Large: len(parts) == 3, A: v[0], B: v[1], C: v[2]}, nil
}

// ParseCommunities parses every entry; the error names the first bad one.
func ParseCommunities(ss []string) ([]Community, error) {
	out := make([]Community, 0, len(ss))
	for _, s := range ss {
		c, err := ParseCommunity(s)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (c Community) String() string {
	if c.Large {
		return fmt.Sprintf("%d:%d:%d", c.A, c.B, c.C)
	}
	return fmt.Sprintf("%d:%d", c.A, c.B)
}

// standard is the 32-bit value of a standard community.
func (c Community) standard() uint32 { return c.A<<16 | c.B }

func compareCommunity(a, b Community) int {
	if a.Large != b.Large {
		if a.Large {
			return 1
		}
		return -1
	}
	return cmp.Or(cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B), cmp.Compare(a.C, b.C))
}
