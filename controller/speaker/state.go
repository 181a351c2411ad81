package speaker

import (
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker/bgp"
)

// state is everything the speaker knows, and what it wants announced. It
// is not safe for concurrent use; Speaker guards it with its mutex.
type state struct {
	nodeName string
	node     nodeState
	services map[string]service          // by namespace/name
	slices   map[string][]sliceReadiness // by service key; almost always one slice
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
	byPrefix  map[netip.Prefix][]keyedAdvertisement // almost always one
	desired   map[netip.Prefix]bgp.Advertisement
}

// keyedAdvertisement is what one Service asks for one prefix.
type keyedAdvertisement struct {
	key string
	adv bgp.Advertisement
}

func newState(node string) state {
	return state{
		nodeName:  node,
		services:  map[string]service{},
		slices:    map[string][]sliceReadiness{},
		peers:     map[string]*v1alpha1.BGPPeer{},
		advs:      map[string]*v1alpha1.BGPAdvertisement{},
		secrets:   map[string]*corev1.Secret{},
		byService: map[string][]bgp.Advertisement{},
		byPrefix:  map[netip.Prefix][]keyedAdvertisement{},
		desired:   map[netip.Prefix]bgp.Advertisement{},
	}
}

// sliceReadiness is what one EndpointSlice of a Service says. A slice
// per Service, not a map: most Services have a single EndpointSlice, and
// a small Go map costs several times what its entry does.
type sliceReadiness struct {
	name  string
	ready readiness
}

// readiness folds a Service's slices together.
func (st *state) readiness(key string) readiness {
	var r readiness
	for _, x := range st.slices[key] {
		r.any = r.any || x.ready.any
		r.local = r.local || x.ready.local
	}
	return r
}

// setSlice records what slice name of Service key says (deleted: that it
// is gone) and reports whether that changed anything.
func (st *state) setSlice(key, name string, r readiness, deleted bool) bool {
	l := st.slices[key]
	i := slices.IndexFunc(l, func(x sliceReadiness) bool { return x.name == name })
	switch {
	case deleted && i < 0:
		return false
	case deleted:
		if l = slices.Delete(l, i, i+1); len(l) == 0 {
			delete(st.slices, key)
		} else {
			st.slices[key] = l
		}
	case i >= 0 && l[i].ready == r:
		return false
	case i >= 0:
		l[i].ready = r
	default:
		st.slices[key] = append(l, sliceReadiness{name, r})
	}
	return true
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
		l := slices.DeleteFunc(st.byPrefix[a.Prefix], func(k keyedAdvertisement) bool { return k.key == key })
		if len(l) == 0 {
			delete(st.byPrefix, a.Prefix)
		} else {
			st.byPrefix[a.Prefix] = l
		}
	}
	for _, a := range now {
		touched[a.Prefix] = true
		st.byPrefix[a.Prefix] = append(st.byPrefix[a.Prefix], keyedAdvertisement{key, a})
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
	l := st.byPrefix[p]
	old, had := st.desired[p]
	if len(l) == 0 {
		if had {
			delete(st.desired, p)
			ch.withdraw = append(ch.withdraw, p)
		}
		return
	}
	slices.SortFunc(l, func(a, b keyedAdvertisement) int { return strings.Compare(a.key, b.key) })
	advs := make([]bgp.Advertisement, len(l))
	for i, k := range l {
		advs[i] = k.adv
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
