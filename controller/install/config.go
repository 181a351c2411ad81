package install

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

// Label marks the objects Config makes, so they can be told apart from a
// user's own.
const Label = "lblab.dev/from-topology"

// Config turns a resolved topology's controller section into objects: one
// IPPool per pool, one BGPPeer per address of the TOR on the nodes'
// network (tor; when empty, host 1 of each node subnet, the netns
// backend's layout), and one BGPAdvertisement announcing every pool to
// every peer. In mode l2 there are no peers: one L2Advertisement
// announces every pool by ARP and NDP instead.
func Config(t *topology.Topology, tor []netip.Addr) ([]unstructured.Unstructured, error) {
	var objs []runtime.Object
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Labels: map[string]string{Label: t.Name}}
	}
	for i, p := range t.Controller.Pools {
		var addrs []string
		for j, a := range p.Addresses {
			s, err := PoolAddress(a)
			if err != nil {
				return nil, fmt.Errorf("controller.pools[%d].addresses[%d]: %w", i, j, err)
			}
			addrs = append(addrs, s)
		}
		auto := p.AutoAssign == nil || *p.AutoAssign
		objs = append(objs, &v1alpha1.IPPool{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "IPPool"},
			ObjectMeta: meta(p.Name),
			Spec:       v1alpha1.IPPoolSpec{Addresses: addrs, AutoAssign: &auto, AvoidBuggyIPs: p.AvoidBuggyIPs},
		})
	}
	if t.Controller.Mode == topology.ModeL2 {
		objs = append(objs, &v1alpha1.L2Advertisement{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "L2Advertisement"},
			ObjectMeta: meta("default"),
		})
		return unstructuredAll(objs)
	}
	if len(tor) == 0 {
		var err error
		if tor, err = torFromSubnets(t); err != nil {
			return nil, err
		}
	}
	hold := &metav1.Duration{Duration: time.Duration(t.TOR.HoldTime) * time.Second}
	keepalive := &metav1.Duration{Duration: time.Duration(t.TOR.KeepaliveTime) * time.Second}
	seen := map[string]bool{}
	for _, a := range tor {
		name := "tor-ipv4"
		if a.Is6() {
			name = "tor-ipv6"
		}
		if seen[name] {
			return nil, fmt.Errorf("the TOR has two %s addresses on the nodes' network; lblab peers with one per family", name[4:])
		}
		seen[name] = true
		objs = append(objs, &v1alpha1.BGPPeer{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "BGPPeer"},
			ObjectMeta: meta(name),
			Spec: v1alpha1.BGPPeerSpec{PeerAddress: a.Unmap().String(), PeerASN: t.TOR.ASN, MyASN: t.Controller.ASN,
				Port: 179, HoldTime: hold, KeepaliveTime: keepalive, BFD: bfdSettings(t.TOR.BFD)},
		})
	}
	objs = append(objs, &v1alpha1.BGPAdvertisement{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "BGPAdvertisement"},
		ObjectMeta: meta("default"),
	})
	return unstructuredAll(objs)
}

func unstructuredAll(objs []runtime.Object) ([]unstructured.Unstructured, error) {
	out := make([]unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		u, err := ToUnstructured(o)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// bfdSettings are the BGPPeer's BFD timers from the topology's tor.bfd;
// nil when the TOR runs no BFD.
func bfdSettings(b *topology.BFD) *v1alpha1.BFDSettings {
	if b == nil {
		return nil
	}
	ms := func(n int) *metav1.Duration { return &metav1.Duration{Duration: time.Duration(n) * time.Millisecond} }
	return &v1alpha1.BFDSettings{TransmitInterval: ms(b.TransmitInterval), ReceiveInterval: ms(b.ReceiveInterval),
		DetectMultiplier: int32(b.DetectMultiplier)}
}

// torFromSubnets returns host 1 of each node subnet, where the netns
// backend puts the TOR.
func torFromSubnets(t *topology.Topology) ([]netip.Addr, error) {
	prefixes := t.Network.Prefixes()
	if len(prefixes) == 0 {
		return nil, fmt.Errorf("topology %s has no node subnet yet (network.ipv4Subnet/ipv6Subnet); bring the lab up first", t.Name)
	}
	var out []netip.Addr
	for _, pfx := range prefixes {
		a, ok := netaddr.Nth(pfx, 1)
		if !ok {
			return nil, fmt.Errorf("node subnet %s has no room for the TOR", pfx)
		}
		out = append(out, a)
	}
	return out, nil
}

// PoolAddress writes a topology pool address the way the IPPool CRD (and
// MetalLB's IPAddressPool) wants it: a masked CIDR, a single address as a /32 or /128, or an a-b range.
func PoolAddress(s string) (string, error) {
	r, err := netaddr.ParseRange(s)
	if err != nil {
		return "", err
	}
	if strings.Contains(s, "-") {
		return r.String(), nil
	}
	if p, err := netip.ParsePrefix(strings.TrimSpace(s)); err == nil {
		return p.Masked().String(), nil
	}
	return netip.PrefixFrom(r.From, r.From.BitLen()).String(), nil
}
