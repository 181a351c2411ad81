package allocator

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
)

// fuzzConfigs are the pool configurations a fuzz input switches between:
// small pools so that exhaustion, sharing and restores collide often.
var fuzzConfigs = [][]string{
	{"a=10.0.0.0/30,2001:db8::/126", "b=10.0.0.254-10.0.1.1;buggy", "m=10.0.2.0/31;manual"},
	{"a=10.0.0.0/29", "m=10.0.2.0/31,2001:db8:1::/127;manual"},
	{"b=10.0.0.255-10.0.1.2;buggy", "a=2001:db8::/125,10.0.0.0/31"},
}

var fuzzAddrs = ips("10.0.0.0", "10.0.0.1", "10.0.0.3", "10.0.0.255", "10.0.1.0", "10.0.1.1", "10.0.2.1",
	"2001:db8::", "2001:db8::2", "2001:db8:1::1", "192.0.2.1")

// FuzzAllocator runs random sequences of operations and checks the
// allocator's invariants after each, plus what every successful
// allocation must satisfy. Run: go test ./controller/allocator -fuzz FuzzAllocator
func FuzzAllocator(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{4, 3, 0, 0, 1, 2, 0, 4, 1, 1, 0, 2, 3, 0, 1, 9, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		a := New()
		if err := a.SetPools(mustPools(t, fuzzConfigs[0]...)); err != nil {
			t.Fatal(err)
		}
		for len(data) >= 4 {
			op, b1, b2, b3 := data[0], data[1], data[2], data[3]
			data = data[4:]
			s := fuzzService(b1, b2, b3)
			switch op % 6 {
			case 0, 1:
				got, _, err := a.Allocate(s)
				if err == nil {
					checkSatisfies(t, a, &s, got)
				} else if ReasonOf(err) == "" {
					t.Fatalf("error without a reason: %v", err)
				}
			case 2:
				a.Release(s.Key)
			case 3:
				_, _ = a.Assign(s, []netip.Addr{fuzzAddrs[int(b3)%len(fuzzAddrs)]})
			case 4:
				if err := a.SetPools(mustPools(t, fuzzConfigs[int(b1)%len(fuzzConfigs)]...)); err != nil {
					t.Fatal(err)
				}
			case 5:
				s.IPs = []netip.Addr{fuzzAddrs[int(b3)%len(fuzzAddrs)]}
				if got, _, err := a.Allocate(s); err == nil {
					checkSatisfies(t, a, &s, got)
				}
			}
			checkInvariants(t, a)
		}
	})
}

func fuzzService(b1, b2, b3 byte) Service {
	s := Service{Key: fmt.Sprintf("ns/s%d", b1%12)}
	s.SharingKey = []string{"", "k1", "k2"}[b2%3]
	s.Ports = tcp(int32(80 + b2/3%3))
	s.Local = b2/9%2 == 1
	s.Selector = []string{"app=a", "app=b"}[b2/18%2]
	switch b3 % 5 {
	case 0:
		s.Families = []Family{IPv4}
	case 1:
		s.Families = []Family{IPv6}
	case 2:
		s.Families, s.Policy = []Family{IPv4, IPv6}, PreferDualStack
	case 3:
		s.Families, s.Policy = []Family{IPv6, IPv4}, RequireDualStack
	}
	s.Pool = []string{"", "", "a", "m", "missing"}[b3/5%5]
	return s
}

// checkSatisfies checks a successful allocation against the request.
func checkSatisfies(t *testing.T, a *Allocator, s *Service, got Allocation) {
	t.Helper()
	want := s.wantFamilies()
	if len(got.IPs) == 0 || len(got.IPs) > len(want) || (len(got.IPs) < len(want) && s.Policy != PreferDualStack) {
		t.Fatalf("%s got %s for families %v (%s)", s.Key, got, want, s.Policy)
	}
	for _, ip := range got.IPs {
		if !slices.Contains(want, FamilyOf(ip)) {
			t.Fatalf("%s got %s, not of families %v", s.Key, ip, want)
		}
	}
	for _, ip := range s.IPs {
		if !slices.Contains(got.IPs, ip) {
			t.Fatalf("%s asked for %s, got %s", s.Key, ip, got)
		}
	}
	if s.Pool != "" && got.Pool != s.Pool {
		t.Fatalf("%s asked for pool %s, got %s from %q", s.Key, s.Pool, got, got.Pool)
	}
	if held, _ := a.Get(s.Key); held.String() != got.String() {
		t.Fatalf("%s: Get says %s, Allocate said %s", s.Key, held, got)
	}
}
