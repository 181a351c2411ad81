package allocator

import (
	"math/big"
	"net/netip"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/netaddr"
)

// pools builds pools from "name=addr,addr[;flags]" specs; flags: manual
// (autoAssign false), buggy (avoidBuggyIPs).
func mustPools(t testing.TB, specs ...string) []Pool {
	t.Helper()
	var out []Pool
	for _, spec := range specs {
		spec, flags, _ := strings.Cut(spec, ";")
		name, addrs, _ := strings.Cut(spec, "=")
		p := Pool{Name: name, AutoAssign: !strings.Contains(flags, "manual"), AvoidBuggyIPs: strings.Contains(flags, "buggy")}
		for _, a := range strings.Split(addrs, ",") {
			r, err := netaddr.ParseRange(a)
			if err != nil {
				t.Fatal(err)
			}
			p.Ranges = append(p.Ranges, r)
		}
		out = append(out, p)
	}
	return out
}

func newAlloc(t testing.TB, specs ...string) *Allocator {
	t.Helper()
	a := New()
	if err := a.SetPools(mustPools(t, specs...)); err != nil {
		t.Fatal(err)
	}
	return a
}

func ips(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func tcp(ports ...int32) []Port {
	out := make([]Port, len(ports))
	for i, p := range ports {
		out[i] = Port{Protocol: "TCP", Port: p}
	}
	return out
}

func bigInt(n int64) *big.Int { return big.NewInt(n) }
