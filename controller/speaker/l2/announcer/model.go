package announcer

import (
	"net/netip"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/lblab/lblab/controller/speaker/l2/owner"
)

// Service is what the announcer needs of a LoadBalancer Service.
type Service struct {
	Key   string // namespace/name
	UID   string
	IPs   []netip.Addr
	Pool  string
	Local bool // externalTrafficPolicy: Local
}

// Advertisement is an L2Advertisement, parsed.
type Advertisement struct {
	Name       string
	Pools      []string // empty: every pool
	Selectors  []labels.Selector
	Interfaces []string
}

// Inputs are everything an assignment depends on.
type Inputs struct {
	Services []Service
	Advs     []Advertisement
	// Nodes are the labels of the nodes that may announce at all (not
	// excluded from external load balancers, network available), by name.
	Nodes map[string]map[string]string
	// Ready are the nodes with a ready endpoint, by Service key. A
	// Service without any has no owner.
	Ready map[string]map[string]bool
	// Live are the nodes whose speaker is alive.
	Live []string
}

// Assignment is the owner of one LB IP.
type Assignment struct {
	IP         netip.Addr
	Service    string // the first Service (by key) with this IP
	UID        string
	Owner      string // "" when no node is a candidate
	Interfaces []string
}

// Assign picks the owner of every LB IP an advertisement covers.
func Assign(in Inputs) []Assignment {
	live := map[string]bool{}
	for _, n := range in.Live {
		live[n] = true
	}
	svcs := slices.Clone(in.Services)
	slices.SortFunc(svcs, func(a, b Service) int { return compareStrings(a.Key, b.Key) })
	seen := map[netip.Addr]bool{}
	var out []Assignment
	for _, s := range svcs {
		advs := advertisementsFor(in.Advs, s.Pool)
		if len(advs) == 0 {
			continue
		}
		candidates, ifaces := candidatesFor(in, s, advs, live)
		for _, ip := range s.IPs {
			if seen[ip] {
				continue // a shared IP goes with its first Service
			}
			seen[ip] = true
			o, _ := owner.Owner(ip, candidates)
			out = append(out, Assignment{IP: ip, Service: s.Key, UID: s.UID, Owner: o, Interfaces: ifaces})
		}
	}
	slices.SortFunc(out, func(a, b Assignment) int { return a.IP.Compare(b.IP) })
	return out
}

func advertisementsFor(advs []Advertisement, pool string) []Advertisement {
	var out []Advertisement
	for _, a := range advs {
		if len(a.Pools) == 0 || slices.Contains(a.Pools, pool) {
			out = append(out, a)
		}
	}
	return out
}

// candidatesFor are the live nodes that may own s's IPs, sorted, and the
// interfaces the advertisements limit answers to (empty: any).
func candidatesFor(in Inputs, s Service, advs []Advertisement, live map[string]bool) ([]string, []string) {
	var out, ifaces []string
	anyIface := false
	for _, a := range advs {
		if len(a.Interfaces) == 0 {
			anyIface = true
		}
		ifaces = append(ifaces, a.Interfaces...)
	}
	if len(in.Ready[s.Key]) == 0 {
		return nil, ifaces // no ready endpoint anywhere: nobody answers, as BGP withdraws
	}
	for name, lbls := range in.Nodes {
		if !live[name] || s.Local && !in.Ready[s.Key][name] {
			continue
		}
		if slices.ContainsFunc(advs, func(a Advertisement) bool { return selects(a, lbls) }) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	if anyIface {
		ifaces = nil
	}
	slices.Sort(ifaces)
	return out, slices.Compact(ifaces)
}

func selects(a Advertisement, lbls map[string]string) bool {
	if len(a.Selectors) == 0 {
		return true
	}
	return slices.ContainsFunc(a.Selectors, func(s labels.Selector) bool { return s.Matches(labels.Set(lbls)) })
}

// ParseSelectors converts an advertisement's node selectors.
func ParseSelectors(sels []metav1.LabelSelector) ([]labels.Selector, error) {
	out := make([]labels.Selector, 0, len(sels))
	for i := range sels {
		s, err := metav1.LabelSelectorAsSelector(&sels[i])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
