package speaker

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker/bgp"
)

// PasswordKey is the key of a BGP password Secret that holds the password.
const PasswordKey = "password"

// invalid reports whether the controller marked the object's current
// generation invalid (a cross-object conflict CEL cannot see). The speaker
// then keeps the object's last valid spec, as the controller does.
func invalid(conds []metav1.Condition, generation int64) bool {
	c := meta.FindStatusCondition(conds, v1alpha1.ConditionValid)
	return c != nil && c.Status == metav1.ConditionFalse && c.ObservedGeneration == generation
}

// selectorMatches matches a label selector; nil or empty selects everything.
func selectorMatches(sel *metav1.LabelSelector, l map[string]string) (bool, error) {
	if sel == nil {
		return true, nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	return s.Matches(labels.Set(l)), nil
}

// The BFD timers of a BGPPeer that asks for BFD without them (the CRD's
// documented defaults).
const (
	defaultBFDInterval   = 300 * time.Millisecond
	defaultBFDMultiplier = 3
)

// peerFor turns a BGPPeer into a session of this node, or says why not.
// ok is false when the peer does not select the node.
func peerFor(p *v1alpha1.BGPPeer, nodeLabels map[string]string, secrets map[string]*corev1.Secret) (peer bgp.Peer, ok bool, err error) {
	match, err := selectorMatches(p.Spec.NodeSelector, nodeLabels)
	if err != nil {
		return bgp.Peer{}, false, fmt.Errorf("BGPPeer %s: invalid spec.nodeSelector: %w", p.Name, err)
	}
	if !match {
		return bgp.Peer{}, false, nil
	}
	addr, err := netip.ParseAddr(p.Spec.PeerAddress)
	if err != nil {
		return bgp.Peer{}, false, fmt.Errorf("BGPPeer %s: spec.peerAddress %q is not an IP address", p.Name, p.Spec.PeerAddress)
	}
	peer = bgp.Peer{
		Name: p.Name, Address: addr.Unmap(), Port: p.Spec.Port,
		ASN: p.Spec.PeerASN, LocalASN: p.Spec.MyASN, EBGPMultiHop: p.Spec.EBGPMultiHop,
	}
	if p.Spec.HoldTime != nil {
		peer.HoldTime = p.Spec.HoldTime.Duration.Truncate(time.Second)
	}
	if p.Spec.KeepaliveTime != nil {
		peer.KeepaliveTime = p.Spec.KeepaliveTime.Duration.Truncate(time.Second)
	}
	if peer.HoldTime == 0 && peer.KeepaliveTime == 0 && p.Spec.HoldTime != nil {
		// GoBGP's API reads a hold time of 0 as "default"; it cannot turn
		// keepalives off. Say so rather than pretend.
		return bgp.Peer{}, false, fmt.Errorf("BGPPeer %s: spec.holdTime 0 (no keepalives) is not supported by the GoBGP speaker; use 3s or more", p.Name)
	}
	if b := p.Spec.BFD; b != nil {
		peer.BFD = bgp.BFDTimers{MinTx: defaultBFDInterval, MinRx: defaultBFDInterval, Multiplier: defaultBFDMultiplier}
		if b.TransmitInterval != nil {
			peer.BFD.MinTx = b.TransmitInterval.Duration
		}
		if b.ReceiveInterval != nil {
			peer.BFD.MinRx = b.ReceiveInterval.Duration
		}
		if b.DetectMultiplier != 0 {
			peer.BFD.Multiplier = uint8(b.DetectMultiplier)
		}
	}
	if name := p.Spec.PasswordSecret; name != "" {
		sec, found := secrets[name]
		if !found {
			return bgp.Peer{}, false, fmt.Errorf("BGPPeer %s: password Secret %s/%s not found", p.Name, v1alpha1.Namespace, name)
		}
		pw, found := sec.Data[PasswordKey]
		if !found || len(pw) == 0 {
			return bgp.Peer{}, false, fmt.Errorf("BGPPeer %s: Secret %s/%s has no %q key", p.Name, v1alpha1.Namespace, name, PasswordKey)
		}
		peer.Password = string(pw)
	}
	return peer, true, nil
}

// advertisement is a BGPAdvertisement, parsed once.
type advertisement struct {
	name        string
	pools       []string // empty: every pool
	nodes       []labels.Selector
	peers       []string
	localPref   uint32
	communities []bgp.Community
}

func advertisementFrom(a *v1alpha1.BGPAdvertisement) (advertisement, error) {
	out := advertisement{name: a.Name, pools: a.Spec.IPPools, peers: a.Spec.Peers}
	for i := range a.Spec.NodeSelectors {
		s, err := metav1.LabelSelectorAsSelector(&a.Spec.NodeSelectors[i])
		if err != nil {
			return advertisement{}, fmt.Errorf("BGPAdvertisement %s: invalid spec.nodeSelectors[%d]: %w", a.Name, i, err)
		}
		out.nodes = append(out.nodes, s)
	}
	if a.Spec.LocalPref != nil {
		out.localPref = *a.Spec.LocalPref
	}
	cs, err := bgp.ParseCommunities(a.Spec.Communities)
	if err != nil {
		return advertisement{}, fmt.Errorf("BGPAdvertisement %s: spec.communities: %w", a.Name, err)
	}
	out.communities = cs
	return out, nil
}

// selects reports whether the advertisement covers a Service of the pool
// on a node with these labels. Any node selector matching is enough.
func (a advertisement) selects(pool string, nodeLabels map[string]string) bool {
	if len(a.pools) > 0 && !slices.Contains(a.pools, pool) {
		return false
	}
	if len(a.nodes) == 0 {
		return true
	}
	set := labels.Set(nodeLabels)
	return slices.ContainsFunc(a.nodes, func(s labels.Selector) bool { return s.Matches(set) })
}

// advertise is what this node announces for a Service: one advertisement
// per IP, merging every BGPAdvertisement that selects it (communities
// joined, the highest localPref, the union of peers, where an
// advertisement without peers means all of them). Nothing when the node
// or the Service is not eligible.
func advertise(svc service, r readiness, node nodeState, advs []advertisement) []bgp.Advertisement {
	if !node.eligible() || !r.any || (svc.local && !r.local) {
		return nil
	}
	var (
		matched   bool
		allPeers  bool
		peers     []string
		comms     []bgp.Community
		localPref uint32
	)
	for _, a := range advs {
		if !a.selects(svc.pool, node.labels) {
			continue
		}
		matched = true
		if len(a.peers) == 0 {
			allPeers = true
		}
		peers = append(peers, a.peers...)
		comms = append(comms, a.communities...)
		localPref = max(localPref, a.localPref)
	}
	if !matched {
		return nil
	}
	if allPeers {
		peers = nil
	}
	out := make([]bgp.Advertisement, 0, len(svc.ips))
	for _, ip := range svc.ips {
		out = append(out, bgp.NewAdvertisement(ip, comms, localPref, peers))
	}
	return out
}

// merge combines what several Services sharing one IP ask for, the same
// way advertise combines BGPAdvertisements.
func merge(p netip.Prefix, advs []bgp.Advertisement) bgp.Advertisement {
	if len(advs) == 1 {
		return advs[0]
	}
	var (
		allPeers  bool
		peers     []string
		comms     []bgp.Community
		localPref uint32
	)
	for _, a := range advs {
		allPeers = allPeers || len(a.Peers) == 0
		peers = append(peers, a.Peers...)
		comms = append(comms, a.Communities...)
		localPref = max(localPref, a.LocalPref)
	}
	if allPeers {
		peers = nil
	}
	return bgp.NewAdvertisement(p.Addr(), comms, localPref, peers)
}

func joinErrs(errs []error) string {
	s := make([]string, len(errs))
	for i, e := range errs {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}
