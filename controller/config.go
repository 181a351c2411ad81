package controller

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lblab/lblab/controller/allocator"
	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/internal/netaddr"
)

// verdict is the Valid condition the controller gives an object.
type verdict struct {
	ok      bool
	reason  string
	message string
}

var valid = verdict{ok: true, reason: v1alpha1.ReasonValid, message: "in use"}

// effective is the last valid spec of one object: what the controller
// uses while the object's current spec is invalid.
type effective[S any] struct {
	uid        types.UID
	generation int64
	spec       S
}

// effPool is a pool's last valid spec, parsed.
type effPool struct {
	effective[v1alpha1.IPPoolSpec]
	ranges      []netaddr.Range
	svcSel      labels.Selector // nil: every Service
	nsSel       labels.Selector // nil: every namespace
	autoAssign  bool
	avoidBuggy  bool
	description string
}

type effPeer struct {
	effective[v1alpha1.BGPPeerSpec]
	addr netip.Addr
}

// config holds the last valid spec of every pool and peer.
type config struct {
	pools map[string]*effPool
	peers map[string]*effPeer
}

func newConfig() *config { return &config{pools: map[string]*effPool{}, peers: map[string]*effPeer{}} }

// keepSurvivors returns the effective specs whose object still exists
// (same name and UID).
func keepSurvivors[E any](prev map[string]*E, uid func(*E) types.UID, objs map[string]types.UID) map[string]*E {
	next := map[string]*E{}
	for name, e := range prev {
		if u, ok := objs[name]; ok && u == uid(e) {
			next[name] = e
		}
	}
	return next
}

// updatePools checks the pools against each other and the addresses in
// use, oldest first. An object whose current generation fails keeps its
// last valid spec, so the object that changed is the one blamed.
func (cfg *config) updatePools(objs []*v1alpha1.IPPool, alloc *allocator.Allocator) map[string]verdict {
	uids := map[string]types.UID{}
	for _, o := range objs {
		uids[o.Name] = o.UID
	}
	next := keepSurvivors(cfg.pools, func(e *effPool) types.UID { return e.uid }, uids)
	verdicts := map[string]verdict{}
	for _, o := range objs {
		prev := next[o.Name]
		if prev != nil && prev.generation == o.Generation {
			verdicts[o.Name] = valid
			continue
		}
		e, v := checkPool(o, next, alloc)
		if v.ok {
			next[o.Name] = e
		} else if prev != nil {
			v.message += fmt.Sprintf("; the controller keeps using generation %d of this pool until this is fixed", prev.generation)
		} else {
			v.message += "; the pool is not used until this is fixed"
		}
		verdicts[o.Name] = v
	}
	cfg.pools = next
	return verdicts
}

func checkPool(o *v1alpha1.IPPool, others map[string]*effPool, alloc *allocator.Allocator) (*effPool, verdict) {
	e := &effPool{effective: effective[v1alpha1.IPPoolSpec]{uid: o.UID, generation: o.Generation, spec: *o.Spec.DeepCopy()},
		autoAssign: o.Spec.AutoAssign == nil || *o.Spec.AutoAssign, avoidBuggy: o.Spec.AvoidBuggyIPs}
	for i, a := range o.Spec.Addresses {
		r, err := netaddr.ParseRange(a)
		if err != nil {
			return nil, verdict{reason: v1alpha1.ReasonInvalidSpec, message: fmt.Sprintf("addresses[%d]: %v", i, err)}
		}
		for j, prev := range e.ranges {
			if prev.Overlaps(r) {
				return nil, verdict{reason: v1alpha1.ReasonOverlap, message: fmt.Sprintf("addresses[%d] %s overlaps addresses[%d] %s", i, a, j, o.Spec.Addresses[j])}
			}
		}
		e.ranges = append(e.ranges, r)
	}
	names := make([]string, 0, len(others))
	for n := range others {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == o.Name {
			continue
		}
		for i, r := range e.ranges {
			for j, r2 := range others[n].ranges {
				if r.Overlaps(r2) {
					return nil, verdict{reason: v1alpha1.ReasonOverlap, message: fmt.Sprintf("addresses[%d] %s overlaps %s of IPPool %q",
						i, o.Spec.Addresses[i], others[n].spec.Addresses[j], n)}
				}
			}
		}
	}
	var err error
	if e.svcSel, err = selector(o.Spec.ServiceSelector); err != nil {
		return nil, verdict{reason: v1alpha1.ReasonInvalidSpec, message: "serviceSelector: " + err.Error()}
	}
	if e.nsSel, err = selector(o.Spec.NamespaceSelector); err != nil {
		return nil, verdict{reason: v1alpha1.ReasonInvalidSpec, message: "namespaceSelector: " + err.Error()}
	}
	if lost := alloc.InUseOutside(o.Name, e.ranges); len(lost) > 0 {
		return nil, verdict{reason: v1alpha1.ReasonAddressesInUse, message: inUseMessage(alloc, lost)}
	}
	return e, valid
}

func inUseMessage(alloc *allocator.Allocator, lost []netip.Addr) string {
	var parts []string
	for i, ip := range lost {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(lost)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", ip, strings.Join(alloc.Users(ip), ", ")))
	}
	return "the new addresses leave out addresses in use: " + strings.Join(parts, ", ") +
		"; delete or change those Services first, or keep their addresses in the pool"
}

func selector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return nil, nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

// updatePeers checks the peers against each other, oldest first: two
// peers conflict when they have the same address and port, different
// ASNs, and node selectors that may select the same node (either is
// empty, or they are equal; other selectors are assumed disjoint).
func (cfg *config) updatePeers(objs []*v1alpha1.BGPPeer) map[string]verdict {
	uids := map[string]types.UID{}
	for _, o := range objs {
		uids[o.Name] = o.UID
	}
	next := keepSurvivors(cfg.peers, func(e *effPeer) types.UID { return e.uid }, uids)
	verdicts := map[string]verdict{}
	for _, o := range objs {
		prev := next[o.Name]
		if prev != nil && prev.generation == o.Generation {
			verdicts[o.Name] = valid
			continue
		}
		e, v := checkPeer(o, next)
		if v.ok {
			next[o.Name] = e
		} else if prev != nil {
			v.message += fmt.Sprintf("; speakers should keep using generation %d of this peer until this is fixed", prev.generation)
		}
		verdicts[o.Name] = v
	}
	cfg.peers = next
	return verdicts
}

func checkPeer(o *v1alpha1.BGPPeer, others map[string]*effPeer) (*effPeer, verdict) {
	addr, err := netip.ParseAddr(o.Spec.PeerAddress)
	if err != nil {
		return nil, verdict{reason: v1alpha1.ReasonInvalidSpec, message: fmt.Sprintf("peerAddress %q is not an IP address", o.Spec.PeerAddress)}
	}
	if _, err := selector(o.Spec.NodeSelector); err != nil {
		return nil, verdict{reason: v1alpha1.ReasonInvalidSpec, message: "nodeSelector: " + err.Error()}
	}
	e := &effPeer{effective: effective[v1alpha1.BGPPeerSpec]{uid: o.UID, generation: o.Generation, spec: *o.Spec.DeepCopy()}, addr: addr.Unmap()}
	names := make([]string, 0, len(others))
	for n := range others {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		q := others[n]
		if n == o.Name || q.addr != e.addr || port(q.spec.Port) != port(o.Spec.Port) {
			continue
		}
		if q.spec.PeerASN == o.Spec.PeerASN && q.spec.MyASN == o.Spec.MyASN {
			continue
		}
		if emptySelector(q.spec.NodeSelector) || emptySelector(o.Spec.NodeSelector) || apiequality.Semantic.DeepEqual(q.spec.NodeSelector, o.Spec.NodeSelector) {
			return nil, verdict{reason: v1alpha1.ReasonPeerConflict, message: fmt.Sprintf(
				"BGPPeer %q has the same address %s and port %d with peerASN %d and myASN %d, for nodes this peer selects too; give them the same ASNs or disjoint nodeSelectors",
				n, e.addr, port(o.Spec.Port), q.spec.PeerASN, q.spec.MyASN)}
		}
	}
	return e, valid
}

func port(p uint16) uint16 {
	if p == 0 {
		return 179
	}
	return p
}

func emptySelector(s *metav1.LabelSelector) bool {
	return s == nil || (len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0)
}

// checkAdvertisement checks that every pool and peer an advertisement
// names exists.
func checkAdvertisement(o *v1alpha1.BGPAdvertisement, pools, peers map[string]bool) verdict {
	if v := checkPoolsAndSelectors(o.Spec.IPPools, o.Spec.NodeSelectors, pools); v != valid {
		return v
	}
	for i, n := range o.Spec.Peers {
		if !peers[n] {
			return verdict{reason: v1alpha1.ReasonUnknownPeer, message: fmt.Sprintf("peers[%d] names BGPPeer %q, which does not exist", i, n)}
		}
	}
	return valid
}

// checkL2Advertisement checks that every pool an L2 advertisement names
// exists.
func checkL2Advertisement(o *v1alpha1.L2Advertisement, pools map[string]bool) verdict {
	return checkPoolsAndSelectors(o.Spec.IPPools, o.Spec.NodeSelectors, pools)
}

func checkPoolsAndSelectors(names []string, sels []metav1.LabelSelector, pools map[string]bool) verdict {
	for i, n := range names {
		if !pools[n] {
			return verdict{reason: v1alpha1.ReasonUnknownPool, message: fmt.Sprintf("ipPools[%d] names IPPool %q, which does not exist", i, n)}
		}
	}
	for i, sel := range sels {
		if _, err := metav1.LabelSelectorAsSelector(&sel); err != nil {
			return verdict{reason: v1alpha1.ReasonInvalidSpec, message: fmt.Sprintf("nodeSelectors[%d]: %v", i, err)}
		}
	}
	return valid
}
