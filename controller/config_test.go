package controller

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	ktypes "k8s.io/apimachinery/pkg/types"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// valid returns the Valid condition of a CRD object as "Status Reason: message".
func (h *harness) valid(resource, name string) string {
	u, err := h.dyn.Resource(v1alpha1.GroupVersion.WithResource(resource)).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return err.Error()
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m := c.(map[string]any)
		if m["type"] == v1alpha1.ConditionValid {
			return m["status"].(string) + " " + m["reason"].(string) + ": " + m["message"].(string)
		}
	}
	return "no Valid condition"
}

func (h *harness) waitValid(resource, name string, want ...string) {
	h.t.Helper()
	h.eventually(resource+" "+name, func() string {
		got := h.valid(resource, name)
		for _, w := range want {
			if !strings.Contains(got, w) {
				return "condition " + got
			}
		}
		return ""
	})
}

func (h *harness) update(resource string, obj runtime.Object, gen int64) {
	h.t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		h.t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGeneration(gen)
	cur, err := h.dyn.Resource(v1alpha1.GroupVersion.WithResource(resource)).Get(context.Background(), u.GetName(), metav1.GetOptions{})
	if err == nil {
		u.SetResourceVersion(cur.GetResourceVersion())
		if st, ok := cur.Object["status"]; ok {
			u.Object["status"] = st
		}
	}
	if _, err := h.dyn.Resource(v1alpha1.GroupVersion.WithResource(resource)).Update(context.Background(), u, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func peer(name, addr string, peerASN, myASN uint32) *v1alpha1.BGPPeer {
	return &v1alpha1.BGPPeer{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "BGPPeer"},
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: ktypes.UID("uid-peer-" + name), Generation: 1},
		Spec:       v1alpha1.BGPPeerSpec{PeerAddress: addr, PeerASN: peerASN, MyASN: myASN},
	}
}

func TestOverlappingPools(t *testing.T) {
	a := pool("a", "198.51.100.0/24")
	a.CreationTimestamp = metav1.Unix(1, 0)
	b := pool("b", "198.51.100.128/25", "203.0.113.0/24")
	b.CreationTimestamp = metav1.Unix(2, 0)
	h := newHarness(t, Options{}, []runtime.Object{a, b})
	h.start()
	h.waitValid("ippools", "a", "True Valid")
	h.waitValid("ippools", "b", "False Overlap", `addresses[0] 198.51.100.128/25 overlaps 198.51.100.0/24 of IPPool "a"`,
		"the pool is not used until this is fixed")
	h.create(lb("web", annotate(v1alpha1.AnnotationIPPool, "b")))
	h.waitEvent("Warning AllocationFailed", "UnknownPool", `IPPool "b" (annotation lblab.dev/ip-pool) has never been valid: Overlap: addresses[0] 198.51.100.128/25 overlaps`)
	// Fix b: it becomes valid and the waiting Service gets its address.
	b.Spec.Addresses = []string{"203.0.113.0/24"}
	h.update("ippools", b, 2)
	h.waitValid("ippools", "b", "True Valid")
	h.waitIngress("default", "web", "203.0.113.0", "b")
}

// TestShrinkUnderUse: a pool changed so that it drops an address in use
// is refused, and the controller keeps its last valid spec.
func TestShrinkUnderUse(t *testing.T) {
	p := pool("p", "198.51.100.0/30")
	h := newHarness(t, Options{}, []runtime.Object{p})
	h.start()
	// One after the other: the controller may take two creates in either
	// order, and the test needs b on .1.
	h.create(lb("a"))
	h.waitIngress("default", "a", "198.51.100.0", "p")
	h.create(lb("b"))
	h.waitIngress("default", "b", "198.51.100.1", "p")
	p.Spec.Addresses = []string{"198.51.100.0/32", "198.51.100.3/32"}
	h.update("ippools", p, 2)
	h.waitValid("ippools", "p", "False AddressesInUse", "198.51.100.1 (default/b)",
		"keeps using generation 1 of this pool")
	// The old spec is still in use: 198.51.100.2 is handed out.
	h.create(lb("c"))
	h.waitIngress("default", "c", "198.51.100.2", "p")
	// Once b and c are gone, the same spec is accepted.
	h.delete("default", "b")
	h.delete("default", "c")
	h.update("ippools", p, 3)
	h.waitValid("ippools", "p", "True Valid")
}

func TestPeerConflicts(t *testing.T) {
	tor := peer("tor", "10.89.1.1", 64496, 64500)
	tor.CreationTimestamp = metav1.Unix(1, 0)
	same := peer("tor-again", "10.89.1.1", 64496, 64500)
	same.CreationTimestamp = metav1.Unix(2, 0)
	bad := peer("tor-other-asn", "10.89.1.1", 64497, 64500)
	bad.CreationTimestamp = metav1.Unix(3, 0)
	split := peer("rack2", "10.89.1.1", 64497, 64500)
	split.CreationTimestamp = metav1.Unix(4, 0)
	split.Spec.NodeSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"rack": "2"}}
	h := newHarness(t, Options{}, []runtime.Object{tor, same, bad, split})
	h.start()
	h.waitValid("bgppeers", "tor", "True Valid")
	h.waitValid("bgppeers", "tor-again", "True Valid")
	h.waitValid("bgppeers", "tor-other-asn", "False PeerConflict", `BGPPeer "tor" has the same address 10.89.1.1 and port 179 with peerASN 64496 and myASN 64500`)
	h.waitValid("bgppeers", "rack2", "False PeerConflict") // tor selects every node, rack 2's too
}

func TestAdvertisementReferences(t *testing.T) {
	adv := func(name string, pools, peers []string) runtime.Object {
		return &v1alpha1.BGPAdvertisement{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "BGPAdvertisement"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 1},
			Spec:       v1alpha1.BGPAdvertisementSpec{IPPools: pools, Peers: peers},
		}
	}
	h := newHarness(t, Options{}, []runtime.Object{pool("default", "198.51.100.0/24"), peer("tor", "10.89.1.1", 64496, 64500),
		adv("ok", []string{"default"}, []string{"tor"}), adv("all", nil, nil),
		adv("nopool", []string{"default", "missing"}, nil), adv("nopeer", nil, []string{"tor", "tor2"})})
	h.start()
	h.waitValid("bgpadvertisements", "ok", "True Valid")
	h.waitValid("bgpadvertisements", "all", "True Valid")
	h.waitValid("bgpadvertisements", "nopool", "False UnknownPool", `ipPools[1] names IPPool "missing", which does not exist`)
	h.waitValid("bgpadvertisements", "nopeer", "False UnknownPeer", `peers[1] names BGPPeer "tor2", which does not exist`)
}
