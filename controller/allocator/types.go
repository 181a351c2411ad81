package allocator

import (
	"net/netip"
	"strings"

	"github.com/lblab/lblab/internal/netaddr"
)

// Family is an IP family.
type Family int

// IP families.
const (
	IPv4 Family = 4
	IPv6 Family = 6
)

func (f Family) String() string {
	if f == IPv6 {
		return "IPv6"
	}
	return "IPv4"
}

func (f Family) index() int {
	if f == IPv6 {
		return 1
	}
	return 0
}

// FamilyOf returns the family of an address.
func FamilyOf(a netip.Addr) Family {
	if a.Is4() || a.Is4In6() {
		return IPv4
	}
	return IPv6
}

// FamilyPolicy is a Service's spec.ipFamilyPolicy.
type FamilyPolicy string

// Family policies, as in Kubernetes.
const (
	SingleStack      FamilyPolicy = "SingleStack"
	PreferDualStack  FamilyPolicy = "PreferDualStack"
	RequireDualStack FamilyPolicy = "RequireDualStack"
)

// Port is one (protocol, port) pair of a Service.
type Port struct {
	Protocol string // TCP, UDP or SCTP
	Port     int32
}

// Service is what the allocator needs to know about a Service.
type Service struct {
	// Key identifies the Service ("namespace/name").
	Key string
	// Namespace and Labels are for pools' Matches predicates.
	Namespace string
	Labels    map[string]string
	// Families are spec.ipFamilies, primary first. Empty means IPv4.
	Families []Family
	// Policy is spec.ipFamilyPolicy. Empty means SingleStack.
	Policy FamilyPolicy
	// Pool is the pool the Service asks for by name ("" for any).
	Pool string
	// IPs are the addresses the Service asks for, at most one per family.
	IPs []netip.Addr
	// SharingKey lets Services with the same key share addresses.
	SharingKey string
	// Ports are the Service's ports; shared addresses must not collide.
	Ports []Port
	// Local is true for externalTrafficPolicy: Local, and Selector is then
	// the Service's pod selector in a canonical form (sorted k=v list).
	Local    bool
	Selector string
}

// Pool is one pool of addresses.
type Pool struct {
	Name string
	// Ranges are the pool's addresses; they must not overlap.
	Ranges []netaddr.Range
	// AutoAssign lets Services that name neither the pool nor an address
	// in it get an address from it.
	AutoAssign bool
	// AvoidBuggyIPs skips IPv4 addresses ending in .0 and .255, requested
	// ones included.
	AvoidBuggyIPs bool
	// Matches reports whether the Service may use the pool (the pool's
	// service and namespace selectors); nil allows every Service.
	Matches func(*Service) bool
}

// Allocation is the addresses a Service holds and the pool they are from
// ("" when they are in no configured pool).
type Allocation struct {
	Pool string
	IPs  []netip.Addr
}

// Family returns the allocation's address of one family.
func (a Allocation) Family(f Family) (netip.Addr, bool) {
	for _, ip := range a.IPs {
		if FamilyOf(ip) == f {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

func (a Allocation) String() string {
	s := make([]string, len(a.IPs))
	for i, ip := range a.IPs {
		s[i] = ip.String()
	}
	return strings.Join(s, ",")
}

// wantFamilies returns the families to allocate, defaulting to IPv4.
func (s *Service) wantFamilies() []Family {
	if len(s.Families) == 0 {
		return []Family{IPv4}
	}
	if s.Policy == SingleStack || s.Policy == "" {
		return s.Families[:1]
	}
	return s.Families
}

func (s *Service) requested(f Family) (netip.Addr, bool) {
	for _, ip := range s.IPs {
		if FamilyOf(ip) == f {
			return ip, true
		}
	}
	return netip.Addr{}, false
}
