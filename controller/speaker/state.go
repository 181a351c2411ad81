package speaker

import (
	"net/netip"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker/bgp"
)

// state is everything the speaker knows, and what it wants announced. It
// is not safe for concurrent use; Speaker guards it with its mutex.
type state struct {
	nodeName string
	node     nodeState
	services map[string]service              // by namespace/name
	slices   map[string]map[string]readiness // service key → slice name → readiness
	// peers and advs are the effective lblab.dev objects: the current spec,
	// or the last valid one while the controller marks it invalid.
	peers   map[string]*v1alpha1.BGPPeer
	advs    map[string]*v1alpha1.BGPAdvertisement
	parsed  []advertisement // advs, parsed and sorted by name
	secrets map[string]*corev1.Secret

	// byService is what each Service asks this node to announce;
	// byPrefix the same by prefix (Services may share an IP); desired
	// the merged advertisement of every prefix.
	byService map[string][]bgp.Advertisement
	byPrefix  map[netip.Prefix]map[string]bgp.Advertisement
	desired   map[netip.Prefix]bgp.Advertisement
}

func newState(node string) state {
	return state{
		nodeName:  node,
		services:  map[string]service{},
		slices:    map[string]map[string]readiness{},
		peers:     map[string]*v1alpha1.BGPPeer{},
		advs:      map[string]*v1alpha1.BGPAdvertisement{},
		secrets:   map[string]*corev1.Secret{},
		byService: map[string][]bgp.Advertisement{},
		byPrefix:  map[netip.Prefix]map[string]bgp.Advertisement{},
		desired:   map[netip.Prefix]bgp.Advertisement{},
	}
}

// readiness folds a Service's slices together.
func (st *state) readiness(key string) readiness {
	var r readiness
	for _, x := range st.slices[key] {
		r.any = r.any || x.any
		r.local = r.local || x.local
	}
	return r
}

// changes are prefixes whose desired advertisement changed.
type changes struct {
	announce []bgp.Advertisement
	withdraw []netip.Prefix
}

func (c *changes) empty() bool { return len(c.announce) == 0 && len(c.withdraw) == 0 }

// recompute works out what Service key asks for now, and records in ch
// every prefix whose merged advertisement changed.
func (st *state) recompute(key string, ch *changes) {
	var now []bgp.Advertisement
	if svc, ok := st.services[key]; ok {
		now = advertise(svc, st.readiness(key), st.node, st.parsed)
	}
	old := st.byService[key]
	if slices.EqualFunc(old, now, bgp.Advertisement.Equal) {
		return
	}
	touched := map[netip.Prefix]bool{}
	for _, a := range old {
		touched[a.Prefix] = true
		if m := st.byPrefix[a.Prefix]; m != nil {
			delete(m, key)
			if len(m) == 0 {
				delete(st.byPrefix, a.Prefix)
			}
		}
	}
	for _, a := range now {
		touched[a.Prefix] = true
		m := st.byPrefix[a.Prefix]
		if m == nil {
			m = map[string]bgp.Advertisement{}
			st.byPrefix[a.Prefix] = m
		}
		m[key] = a
	}
	if len(now) == 0 {
		delete(st.byService, key)
	} else {
		st.byService[key] = now
	}
	for p := range touched {
		st.settle(p, ch)
	}
}

// settle recomputes the merged advertisement of one prefix.
func (st *state) settle(p netip.Prefix, ch *changes) {
	m := st.byPrefix[p]
	old, had := st.desired[p]
	if len(m) == 0 {
		if had {
			delete(st.desired, p)
			ch.withdraw = append(ch.withdraw, p)
		}
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	advs := make([]bgp.Advertisement, len(keys))
	for i, k := range keys {
		advs[i] = m[k]
	}
	now := merge(p, advs)
	if had && old.Equal(now) {
		return
	}
	st.desired[p] = now
	ch.announce = append(ch.announce, now)
}

// recomputeAll re-evaluates every Service, after the node, the
// advertisements or the peers changed.
func (st *state) recomputeAll(ch *changes) {
	keys := map[string]bool{}
	for k := range st.services {
		keys[k] = true
	}
	for k := range st.byService {
		keys[k] = true
	}
	for k := range keys {
		st.recompute(k, ch)
	}
}

// desiredList returns every desired advertisement.
func (st *state) desiredList() []bgp.Advertisement {
	out := make([]bgp.Advertisement, 0, len(st.desired))
	for _, a := range st.desired {
		out = append(out, a)
	}
	return out
}
