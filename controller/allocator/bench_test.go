package allocator

import (
	"fmt"
	"testing"
)

// BenchmarkChurn5000 allocates 5,000 Services, releases every other one
// and allocates 2,500 again, in a /16 and in a /64 (the cost must not
// depend on the pool's size), and dual-stack.
func BenchmarkChurn5000(b *testing.B) {
	cases := []struct {
		name string
		pool string
		fams []Family
	}{
		{"ipv4-16", "p=10.0.0.0/16", []Family{IPv4}},
		{"ipv6-64", "p=2001:db8::/64", []Family{IPv6}},
		{"dual", "p=10.0.0.0/16,2001:db8::/64", []Family{IPv4, IPv6}},
	}
	keys := make([]string, 7500)
	for i := range keys {
		keys[i] = fmt.Sprintf("ns/svc-%d", i)
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				a := newAlloc(b, tc.pool)
				for i := range 5000 {
					if _, _, err := a.Allocate(Service{Key: keys[i], Families: tc.fams, Policy: RequireDualStack}); err != nil {
						b.Fatal(err)
					}
				}
				for i := 0; i < 5000; i += 2 {
					a.Release(keys[i])
				}
				for i := 5000; i < 7500; i++ {
					if _, _, err := a.Allocate(Service{Key: keys[i], Families: tc.fams, Policy: RequireDualStack}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/op-per-service")
		})
	}
}

// BenchmarkRestore5000 rebuilds the state of 5,000 Services (Assign), as
// a restarted controller does, then allocates one more.
func BenchmarkRestore5000(b *testing.B) {
	src := newAlloc(b, "p=2001:db8::/64")
	var held []Allocation
	for i := range 5000 {
		got, _, err := src.Allocate(Service{Key: fmt.Sprint(i), Families: []Family{IPv6}})
		if err != nil {
			b.Fatal(err)
		}
		held = append(held, got)
	}
	for b.Loop() {
		a := newAlloc(b, "p=2001:db8::/64")
		for i, h := range held {
			if _, err := a.Assign(Service{Key: fmt.Sprint(i), Families: []Family{IPv6}}, h.IPs); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, err := a.Allocate(Service{Key: "new", Families: []Family{IPv6}}); err != nil {
			b.Fatal(err)
		}
	}
}
