package externallb

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lblab/lblab/internal/netaddr"
)

// allocation is the LB IPs of one Service, in the order of its
// spec.ipFamilies, and why a family has none.
type allocation struct {
	ips      []netip.Addr
	failures []string // one message per family left without an address
}

// allocator hands out pool addresses; taken maps an address to the
// Service (namespace/name) holding it.
type allocator struct {
	pools []netaddr.Range
	taken map[netip.Addr]string
}

func (a *allocator) inPool(ip netip.Addr) bool {
	return slices.ContainsFunc(a.pools, func(r netaddr.Range) bool { return r.Contains(ip) })
}

// allocate gives every Service one address per family of spec.ipFamilies.
// svcs are in a stable order (oldest first). kept returns the addresses a
// Service already holds (this process's memory, then its status); they
// are kept when they are in a pool and no earlier Service holds them, so a
// restarted controller keeps every assignment. A valid
// spec.loadBalancerIP in a pool wins over a kept address of its family.
// New addresses are the lowest free ones, pool by pool.
func allocate(pools []netaddr.Range, svcs []*corev1.Service, kept func(*corev1.Service) []netip.Addr) map[string]*allocation {
	a := &allocator{pools: pools, taken: map[netip.Addr]string{}}
	out := map[string]*allocation{}
	want := map[string][]bool{} // per Service: the families still missing, as Is6
	// First pass: everything already held stays where it is, so that a new
	// Service never takes an address an older one had.
	for _, svc := range svcs {
		key := svc.Namespace + "/" + svc.Name
		al := &allocation{}
		out[key] = al
		requested, _ := requestedIP(svc)
		for _, is6 := range families(svc) {
			found := false
			for _, ip := range kept(svc) {
				if ip.Is6() != is6 || !a.inPool(ip) || a.taken[ip] != "" {
					continue
				}
				if requested.IsValid() && requested.Is6() == is6 && requested != ip {
					continue
				}
				a.taken[ip] = key
				al.ips = append(al.ips, ip)
				found = true
				break
			}
			if !found {
				want[key] = append(want[key], is6)
			}
		}
	}
	for _, svc := range svcs {
		key := svc.Namespace + "/" + svc.Name
		al := out[key]
		requested, reqErr := requestedIP(svc)
		if reqErr != nil {
			al.failures = append(al.failures, reqErr.Error())
		}
		for _, is6 := range want[key] {
			if reqErr != nil && !requested.IsValid() {
				break // not an address: nothing to honour, and no other address either
			}
			if requested.IsValid() && requested.Is6() == is6 {
				switch {
				case !a.inPool(requested):
					al.failures = append(al.failures, fmt.Sprintf("spec.loadBalancerIP %s is in no pool (%s)", requested, poolList(pools, is6)))
				case a.taken[requested] != "":
					al.failures = append(al.failures, fmt.Sprintf("spec.loadBalancerIP %s is in use by Service %s", requested, a.taken[requested]))
				default:
					a.taken[requested] = key
					al.ips = append(al.ips, requested)
				}
				continue
			}
			ip, ok := a.next(is6)
			if !ok {
				al.failures = append(al.failures, fmt.Sprintf("no free %s address: pools %s are exhausted", familyName(is6), poolList(pools, is6)))
				continue
			}
			a.taken[ip] = key
			al.ips = append(al.ips, ip)
		}
		// In the order of spec.ipFamilies.
		fams := families(svc)
		slices.SortStableFunc(al.ips, func(x, y netip.Addr) int {
			return slices.Index(fams, x.Is6()) - slices.Index(fams, y.Is6())
		})
	}
	return out
}

// next returns the lowest free address of the family.
func (a *allocator) next(is6 bool) (netip.Addr, bool) {
	for _, r := range a.pools {
		if r.Is6() != is6 {
			continue
		}
		for ip := r.From; ip.IsValid() && r.Contains(ip); ip = ip.Next() {
			if a.taken[ip] == "" {
				return ip, true
			}
		}
	}
	return netip.Addr{}, false
}

// families returns the Service's IP families as Is6 values: spec.ipFamilies,
// or its cluster IP's family when that is empty (IPv4 without either).
func families(svc *corev1.Service) []bool {
	var out []bool
	for _, f := range svc.Spec.IPFamilies {
		is6 := f == corev1.IPv6Protocol
		if !slices.Contains(out, is6) {
			out = append(out, is6)
		}
	}
	if len(out) == 0 {
		ip, err := netip.ParseAddr(svc.Spec.ClusterIP)
		out = append(out, err == nil && ip.Is6())
	}
	return out
}

// requestedIP parses spec.loadBalancerIP: an invalid Address when unset.
func requestedIP(svc *corev1.Service) (netip.Addr, error) {
	s := svc.Spec.LoadBalancerIP
	if s == "" {
		return netip.Addr{}, nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("spec.loadBalancerIP %q is not an IP address", s)
	}
	ip = ip.Unmap()
	if !slices.Contains(families(svc), ip.Is6()) {
		return ip, fmt.Errorf("spec.loadBalancerIP %s is %s, which is not in spec.ipFamilies", ip, familyName(ip.Is6()))
	}
	return ip, nil
}

// statusIPs returns the addresses in status.loadBalancer.ingress.
func statusIPs(svc *corev1.Service) []netip.Addr {
	var out []netip.Addr
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(in.IP); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	return out
}

func familyName(is6 bool) string {
	if is6 {
		return "IPv6"
	}
	return "IPv4"
}

func poolList(pools []netaddr.Range, is6 bool) string {
	var s []string
	for _, r := range pools {
		if r.Is6() == is6 {
			s = append(s, r.String())
		}
	}
	if len(s) == 0 {
		return "(none of this family)"
	}
	return strings.Join(s, ", ")
}
