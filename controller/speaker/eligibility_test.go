package speaker

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

const (
	me    = "node1"
	other = "node2"
)

var (
	ready    = ptr.To(true)
	notReady = ptr.To(false)
	netDown  = corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionTrue}
	netUp    = corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionFalse}
	allAdv   = adv("all", v1alpha1.BGPAdvertisementSpec{})
	webIP    = []string{"198.51.100.1"}
)

// TestEligibility runs a speaker for node1 over a fake API server holding
// one situation each, and checks what it announces.
func TestEligibility(t *testing.T) {
	tests := []struct {
		name string
		node *corev1.Node
		objs []runtime.Object
		advs []*v1alpha1.BGPAdvertisement
		want []string
	}{
		{
			name: "cluster policy, ready endpoint on another node",
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{other, ready})},
			want: []string{"198.51.100.1/32"},
		},
		{
			name: "ready unset counts as ready",
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{other, nil})},
			want: []string{"198.51.100.1/32"},
		},
		{
			name: "no ready endpoint anywhere",
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, notReady}, ep{other, notReady})},
		},
		{
			name: "no endpoint slice at all",
			objs: []runtime.Object{lbService("web", webIP)},
		},
		{
			name: "local policy, ready endpoint here",
			objs: []runtime.Object{lbService("web", webIP, local), slice("web", "web-1", ep{me, ready}, ep{other, ready})},
			want: []string{"198.51.100.1/32"},
		},
		{
			name: "local policy, ready endpoint elsewhere only",
			objs: []runtime.Object{lbService("web", webIP, local), slice("web", "web-1", ep{other, ready})},
		},
		{
			name: "local policy, endpoint here not ready",
			objs: []runtime.Object{lbService("web", webIP, local), slice("web", "web-1", ep{me, notReady}, ep{other, ready})},
		},
		{
			name: "local policy, ready endpoint here in a second slice",
			objs: []runtime.Object{lbService("web", webIP, local), slice("web", "web-1", ep{other, ready}), slice("web", "web-2", ep{me, ready})},
			want: []string{"198.51.100.1/32"},
		},
		{
			name: "node excluded from load balancers",
			node: node(me, "10.89.1.11", map[string]string{corev1.LabelNodeExcludeBalancers: ""}),
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, ready})},
		},
		{
			name: "node network unavailable",
			node: node(me, "10.89.1.11", nil, netDown),
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, ready})},
		},
		{
			name: "node network available",
			node: node(me, "10.89.1.11", nil, netUp),
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, ready})},
			want: []string{"198.51.100.1/32"},
		},
		{
			name: "dual-stack service",
			objs: []runtime.Object{lbService("web", []string{"2001:db8:100::1", "198.51.100.1"}), slice("web", "web-1", ep{other, ready})},
			want: []string{"198.51.100.1/32", "2001:db8:100::1/128"},
		},
		{
			name: "not a LoadBalancer",
			objs: []runtime.Object{func() runtime.Object {
				s := lbService("web", webIP)
				s.Spec.Type = corev1.ServiceTypeNodePort
				return s
			}(), slice("web", "web-1", ep{me, ready})},
		},
		{
			name: "another controller's class",
			objs: []runtime.Object{lbService("web", webIP, class("example.com/other")), slice("web", "web-1", ep{me, ready})},
		},
		{
			name: "class-less and not allocated by lblab",
			objs: []runtime.Object{lbService("web", webIP, noPool), slice("web", "web-1", ep{me, ready})},
		},
		{
			name: "lblab class without pool annotation",
			objs: []runtime.Object{lbService("web", webIP, noPool, class(v1alpha1.LoadBalancerClass)), slice("web", "web-1", ep{me, ready})},
			want: []string{"198.51.100.1/32"},
		},
		{
			name: "no BGPAdvertisement",
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, ready})},
			advs: []*v1alpha1.BGPAdvertisement{},
		},
		{
			name: "advertisement for another pool",
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, ready})},
			advs: []*v1alpha1.BGPAdvertisement{adv("a", v1alpha1.BGPAdvertisementSpec{IPPools: []string{"other"}})},
		},
		{
			name: "advertisement for this pool with attributes",
			objs: []runtime.Object{lbService("web", webIP, pool("gold")), slice("web", "web-1", ep{me, ready})},
			advs: []*v1alpha1.BGPAdvertisement{adv("a", v1alpha1.BGPAdvertisementSpec{
				IPPools: []string{"gold"}, Peers: []string{"tor"}, LocalPref: ptr.To(uint32(200)),
				Communities: []string{"65535:65281", "64500:1:1"},
			})},
			want: []string{"198.51.100.1/32 community=65535:65281 community=64500:1:1 localPref=200 peers=tor"},
		},
		{
			name: "advertisement for other nodes",
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, ready})},
			advs: []*v1alpha1.BGPAdvertisement{adv("a", v1alpha1.BGPAdvertisementSpec{
				NodeSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"rack": "b"}}},
			})},
		},
		{
			name: "advertisement selecting this node by label",
			node: node(me, "10.89.1.11", map[string]string{"rack": "a"}),
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, ready})},
			advs: []*v1alpha1.BGPAdvertisement{adv("a", v1alpha1.BGPAdvertisementSpec{
				NodeSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"rack": "b"}}, {MatchLabels: map[string]string{"rack": "a"}}},
			})},
			want: []string{"198.51.100.1/32"},
		},
		{
			name: "two advertisements merge: communities joined, highest localPref, peers of both",
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, ready})},
			advs: []*v1alpha1.BGPAdvertisement{
				adv("a", v1alpha1.BGPAdvertisementSpec{Peers: []string{"tor-b"}, Communities: []string{"1:1"}, LocalPref: ptr.To(uint32(100))}),
				adv("b", v1alpha1.BGPAdvertisementSpec{Peers: []string{"tor-a"}, Communities: []string{"2:2", "1:1"}, LocalPref: ptr.To(uint32(300))}),
			},
			want: []string{"198.51.100.1/32 community=1:1 community=2:2 localPref=300 peers=tor-a,tor-b"},
		},
		{
			name: "an advertisement without peers means all peers",
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, ready})},
			advs: []*v1alpha1.BGPAdvertisement{
				adv("a", v1alpha1.BGPAdvertisementSpec{Peers: []string{"tor-b"}}),
				adv("b", v1alpha1.BGPAdvertisementSpec{}),
			},
			want: []string{"198.51.100.1/32"},
		},
		{
			name: "an advertisement the controller marked invalid is skipped",
			objs: []runtime.Object{lbService("web", webIP), slice("web", "web-1", ep{me, ready})},
			advs: []*v1alpha1.BGPAdvertisement{func() *v1alpha1.BGPAdvertisement {
				a := adv("a", v1alpha1.BGPAdvertisementSpec{})
				a.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionValid, Status: metav1.ConditionFalse,
					Reason: v1alpha1.ReasonUnknownPool, ObservedGeneration: 1}}
				return a
			}()},
		},
		{
			name: "two Services sharing an IP: one eligible is enough",
			objs: []runtime.Object{
				lbService("web", webIP, local), slice("web", "web-1", ep{other, ready}),
				lbService("dns", webIP), slice("dns", "dns-1", ep{other, ready}),
			},
			want: []string{"198.51.100.1/32"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.node
			if n == nil {
				n = node(me, "10.89.1.11", nil)
			}
			advs := tt.advs
			if advs == nil {
				advs = []*v1alpha1.BGPAdvertisement{allAdv}
			}
			crds := []runtime.Object{peer("tor", "10.89.1.1", nil)}
			for _, a := range advs {
				crds = append(crds, a)
			}
			f := start(t, me, append(tt.objs, n, node(other, "10.89.1.12", nil)), crds...)
			if got := f.ann.view(); !equalStrings(got, tt.want) {
				t.Errorf("announced %q, want %q", got, tt.want)
			}
		})
	}
}

func equalStrings(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
