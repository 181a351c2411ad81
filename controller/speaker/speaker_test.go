package speaker

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker/bgp"
)

var bg = context.Background()

func (f *fixture) updateSlice(es *discoveryv1.EndpointSlice) {
	f.t.Helper()
	if _, err := f.kube.DiscoveryV1().EndpointSlices(es.Namespace).Update(bg, es, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) updateService(s *corev1.Service) {
	f.t.Helper()
	if _, err := f.kube.CoreV1().Services(s.Namespace).Update(bg, s, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) updateNode(n *corev1.Node) {
	f.t.Helper()
	if _, err := f.kube.CoreV1().Nodes().Update(bg, n, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// TestLocalPolicyFollowsEndpoints: with externalTrafficPolicy Local the
// route follows the node's ready endpoints as they come and go.
func TestLocalPolicyFollowsEndpoints(t *testing.T) {
	es := slice("web", "web-1", ep{other, ready})
	f := start(t, me, []runtime.Object{node(me, "10.89.1.11", nil), lbService("web", webIP, local), es},
		peer("tor", "10.89.1.1", nil), allAdv)
	f.eventually()
	f.updateSlice(slice("web", "web-1", ep{other, ready}, ep{me, notReady}))
	f.eventually()
	f.updateSlice(slice("web", "web-1", ep{other, ready}, ep{me, ready}))
	f.eventually("198.51.100.1/32")
	f.updateSlice(slice("web", "web-1", ep{other, ready}))
	f.eventually()
	f.updateSlice(slice("web", "web-1", ep{me, ready}))
	f.eventually("198.51.100.1/32")
	if err := f.kube.DiscoveryV1().EndpointSlices("default").Delete(bg, "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.eventually()
}

// TestServiceLifecycle: an IP appears in status, changes, and the Service
// goes away; a switch to Local with no local endpoint withdraws.
func TestServiceLifecycle(t *testing.T) {
	svc := lbService("web", nil)
	f := start(t, me, []runtime.Object{node(me, "10.89.1.11", nil), svc, slice("web", "web-1", ep{other, ready})},
		peer("tor", "10.89.1.1", nil), allAdv)
	f.eventually()
	f.updateService(lbService("web", webIP))
	f.eventually("198.51.100.1/32")
	f.updateService(lbService("web", []string{"198.51.100.2"}))
	f.eventually("198.51.100.2/32")
	f.updateService(lbService("web", []string{"198.51.100.2"}, local))
	f.eventually()
	f.updateService(lbService("web", []string{"198.51.100.2"}))
	f.eventually("198.51.100.2/32")
	if err := f.kube.CoreV1().Services("default").Delete(bg, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.eventually()
}

// TestNodeChanges: labelling the node excluded or losing its network
// withdraws everything, and undoing it announces again.
func TestNodeChanges(t *testing.T) {
	f := start(t, me, []runtime.Object{node(me, "10.89.1.11", nil), lbService("web", webIP), slice("web", "web-1", ep{other, ready})},
		peer("tor", "10.89.1.1", nil), allAdv)
	f.eventually("198.51.100.1/32")
	f.updateNode(node(me, "10.89.1.11", map[string]string{corev1.LabelNodeExcludeBalancers: "true"}))
	f.eventually()
	f.updateNode(node(me, "10.89.1.11", nil))
	f.eventually("198.51.100.1/32")
	f.updateNode(node(me, "10.89.1.11", nil, netDown))
	f.eventually()
	f.updateNode(node(me, "10.89.1.11", nil, netUp))
	f.eventually("198.51.100.1/32")
}

// TestAdvertisementChanges: editing or deleting a BGPAdvertisement
// re-announces with the new attributes or withdraws.
func TestAdvertisementChanges(t *testing.T) {
	f := start(t, me, []runtime.Object{node(me, "10.89.1.11", nil), lbService("web", webIP), slice("web", "web-1", ep{other, ready})},
		peer("tor", "10.89.1.1", nil), allAdv)
	f.eventually("198.51.100.1/32")
	a := toUnstructured(t, adv("all", v1alpha1.BGPAdvertisementSpec{Communities: []string{"64500:100"}}), "BGPAdvertisement")
	if _, err := f.dyn.Resource(BGPAdvertisementsResource).Update(bg, a, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.eventually("198.51.100.1/32 community=64500:100")
	if err := f.dyn.Resource(BGPAdvertisementsResource).Delete(bg, "all", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.eventually()
}

func (f *fixture) peers() []bgp.Peer {
	f.ann.mu.Lock()
	defer f.ann.mu.Unlock()
	return slices.Clone(f.ann.peers)
}

func (f *fixture) eventuallyPeers(want ...string) {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got []string
		for _, p := range f.peers() {
			s := p.Name + "=" + p.Address.String()
			if p.Password != "" {
				s += " password=" + p.Password
			}
			if p.LocalAddress.IsValid() {
				s += " from " + p.LocalAddress.String()
			}
			got = append(got, s)
		}
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("peers %q, want %q", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPeers: node selectors pick the sessions, the password comes from the
// Secret (the peer waits for it), and the router ID and AS come from the
// node and the first peer.
func TestPeers(t *testing.T) {
	withPw := peer("tor-v6", "fd00:89:1::1", nil)
	withPw.Spec.PasswordSecret = "bgp-pw"
	withPw.Spec.HoldTime = &metav1.Duration{Duration: 9 * time.Second}
	f := start(t, me, []runtime.Object{node(me, "10.89.1.11", map[string]string{"rack": "a"})},
		peer("tor", "10.89.1.1", &metav1.LabelSelector{MatchLabels: map[string]string{"rack": "a"}}),
		peer("tor-b", "10.89.2.1", &metav1.LabelSelector{MatchLabels: map[string]string{"rack": "b"}}),
		withPw)
	f.eventuallyPeers("tor=10.89.1.1")
	if got := f.ann.cfg; got.RouterID != netip.MustParseAddr("10.89.1.11") || got.ASN != 64500 {
		t.Errorf("BGP started with %+v, want router ID 10.89.1.11 and AS 64500", got)
	}
	_, err := f.kube.CoreV1().Secrets(v1alpha1.Namespace).Create(bg, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: v1alpha1.Namespace, Name: "bgp-pw"},
		Data:       map[string][]byte{PasswordKey: []byte("s3cret")},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.eventuallyPeers("tor=10.89.1.1", "tor-v6=fd00:89:1::1 password=s3cret")
	if p := f.peers()[1]; p.HoldTime != 9*time.Second || p.LocalASN != 64500 || p.ASN != 64496 {
		t.Errorf("peer = %+v, want hold time 9s, AS 64496, local AS 64500", p)
	}
	f.updateNode(node(me, "10.89.1.11", map[string]string{"rack": "b"}))
	f.eventuallyPeers("tor-b=10.89.2.1", "tor-v6=fd00:89:1::1 password=s3cret")

	// An update the controller marks invalid keeps the last valid spec.
	bad := peer("tor-b", "10.89.2.99", &metav1.LabelSelector{MatchLabels: map[string]string{"rack": "b"}})
	bad.Generation = 2
	bad.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionValid, Status: metav1.ConditionFalse,
		Reason: v1alpha1.ReasonPeerConflict, ObservedGeneration: 2, LastTransitionTime: metav1.Now()}}
	if _, err := f.dyn.Resource(BGPPeersResource).Update(bg, toUnstructured(t, bad, "BGPPeer"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	f.eventuallyPeers("tor-b=10.89.2.1", "tor-v6=fd00:89:1::1 password=s3cret")
}

// TestSpeakerStatus: the speaker writes its node's SpeakerStatus with the
// sessions and prefixes.
func TestSpeakerStatus(t *testing.T) {
	f := start(t, me, []runtime.Object{node(me, "10.89.1.11", nil), lbService("web", webIP), slice("web", "web-1", ep{other, ready})},
		peer("tor", "10.89.1.1", nil), allAdv)
	f.eventually("198.51.100.1/32")
	var st v1alpha1.SpeakerStatus
	deadline := time.Now().Add(5 * time.Second)
	for {
		u, err := f.dyn.Resource(SpeakerStatusesResource).Get(bg, me, metav1.GetOptions{})
		if err == nil {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &st); err != nil {
				t.Fatal(err)
			}
			if len(st.Status.Advertised) == 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SpeakerStatus with one prefix: %v, %+v", err, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s := st.Status
	if s.Node != me || s.Advertised[0] != "198.51.100.1/32" || len(s.Sessions) != 1 ||
		s.Sessions[0].Peer != "tor" || s.Sessions[0].State != bgp.Established || s.Sessions[0].PrefixesAdvertised != 1 || s.Sessions[0].Since == nil {
		t.Errorf("status = %+v", s)
	}
	if len(st.OwnerReferences) != 1 || st.OwnerReferences[0].Kind != "Node" {
		t.Errorf("owner references = %+v, want the Node", st.OwnerReferences)
	}

	// A clean stop says so: sessions Idle, nothing advertised.
	f.stop()
	u, err := f.dyn.Resource(SpeakerStatusesResource).Get(bg, me, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &st); err != nil {
		t.Fatal(err)
	}
	if s := st.Status; len(s.Advertised) != 0 || len(s.Sessions) != 1 || s.Sessions[0].State != "Idle" {
		t.Errorf("status after stop = %+v, want one Idle session and nothing advertised", s)
	}
}

// TestRouterID: the IPv4 source address if given, else the node's IPv4
// InternalIP, else one derived from the node's IPv6 address.
func TestRouterID(t *testing.T) {
	tests := []struct {
		sources []string
		ips     []string
		want    string
	}{
		{nil, []string{"fd00:89:1::10", "10.89.1.10"}, "10.89.1.10"},
		{nil, []string{"fd00:89:1::10"}, "10.0.0.16"},
		{nil, []string{"2001:db8::c0a8:0101"}, "10.168.1.1"},
		{nil, []string{"fd00::"}, "10.0.0.1"},
		{[]string{"10.89.1.110"}, []string{"fd00:89:1::10", "10.89.1.10"}, "10.89.1.110"},
		{[]string{"fd00:89:1::110", "10.89.1.110"}, []string{"10.89.1.10"}, "10.89.1.110"},
		{[]string{"10.89.1.110"}, nil, "10.89.1.110"},
		// An IPv6 source alone leaves the router ID to the node's addresses.
		{[]string{"fd00:89:1::110"}, []string{"fd00:89:1::10", "10.89.1.10"}, "10.89.1.10"},
		{[]string{"fd00:89:1::110"}, []string{"fd00:89:1::10"}, "10.0.0.16"},
	}
	for _, tt := range tests {
		if got := routerID(addrs(tt.sources...), addrs(tt.ips...), "n"); got.String() != tt.want {
			t.Errorf("routerID(sources %v, node %v) = %s, want %s", tt.sources, tt.ips, got, tt.want)
		}
	}
	if a, b := routerID(nil, nil, "node1"), routerID(nil, nil, "node2"); a == b || !a.Is4() {
		t.Errorf("router IDs of address-less nodes: %s and %s", a, b)
	}
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// TestSharedIP: two Services share an IP (lblab.dev/sharing-key); the IP
// stays announced while either is eligible, with both Services' attributes.
func TestSharedIP(t *testing.T) {
	f := start(t, me, []runtime.Object{node(me, "10.89.1.11", nil),
		lbService("web", webIP, pool("gold")), slice("web", "web-1", ep{other, ready}),
		lbService("dns", webIP, pool("silver")), slice("dns", "dns-1", ep{other, ready})},
		peer("tor", "10.89.1.1", nil),
		adv("gold", v1alpha1.BGPAdvertisementSpec{IPPools: []string{"gold"}, Communities: []string{"1:1"}}),
		adv("silver", v1alpha1.BGPAdvertisementSpec{IPPools: []string{"silver"}, Communities: []string{"2:2"}}))
	f.eventually("198.51.100.1/32 community=1:1 community=2:2")
	f.updateSlice(slice("web", "web-1", ep{other, notReady}))
	f.eventually("198.51.100.1/32 community=2:2")
	if err := f.kube.CoreV1().Services("default").Delete(bg, "dns", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.eventually()
	f.updateSlice(slice("web", "web-1", ep{other, ready}))
	f.eventually("198.51.100.1/32 community=1:1")
}
