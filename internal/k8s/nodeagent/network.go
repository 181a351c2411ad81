package nodeagent

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/types"
)

// PodNetwork is one pod's network: a named namespace whose eth0 holds the
// pod IPs, and the node end of its veth, which holds the gateways.
type PodNetwork struct {
	Netns    string       // <lab>_pod-<short uid>
	HostVeth string       // the node end of the veth
	IPs      []netip.Addr // on the pod's eth0, primary first
	Gateways []netip.Addr // on the node end; the pod's default routes go via them
}

// Route is a route in the node namespace to another node's pod CIDR.
type Route struct {
	Dst netip.Prefix
	Via netip.Addr
}

// Network is the node's pod networking, what kindnet and the ptp CNI
// plugin do on a kind node. Every method is idempotent.
type Network interface {
	// Init prepares the node namespace (forwarding on).
	Init() error
	// Setup creates or repairs a pod's namespace, veth, addresses and routes.
	Setup(PodNetwork) error
	// Teardown deletes the pod's veth (with its host routes) and namespace.
	Teardown(PodNetwork) error
	// PodNetworks lists the pod networks attached to this node (found by
	// their host veths), so a restarted agent can remove those it no longer
	// knows. Pod namespaces of other nodes of the lab are never listed.
	PodNetworks() ([]PodNetwork, error)
	// SyncRoutes makes the node's routes to other nodes' pod CIDRs exactly these.
	SyncRoutes([]Route) error
	// SyncMasquerade masquerades traffic from own (this node's pod CIDRs)
	// to anything outside cluster (every node's pod CIDRs).
	SyncMasquerade(own, cluster []netip.Prefix) error
}

// podNetNames returns a pod's namespace and host veth names. The namespace
// carries the lab prefix, so `lblab down` deletes it with the lab. taken
// reports names in use by other pods of this node; on a clash of the
// short UID, a hash of the whole UID is used instead.
func podNetNames(lab string, uid types.UID, taken func(netns string) bool) (netns, veth string) {
	short := shortUID(uid)
	if taken(lab + "_pod-" + short) {
		sum := sha256.Sum256([]byte(uid))
		short = hex.EncodeToString(sum[:4])
	}
	return lab + "_pod-" + short, "veth" + short
}

// shortUID is 8 hex digits of the pod UID (the UID's first group for the
// usual random UUIDs; a hash otherwise).
func shortUID(uid types.UID) string {
	s := strings.ReplaceAll(string(uid), "-", "")
	if len(s) >= 8 && isHex(s[:8]) {
		return strings.ToLower(s[:8])
	}
	sum := sha256.Sum256([]byte(uid))
	return hex.EncodeToString(sum[:4])
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// podNetworkOfVeth returns the pod network a host veth name belongs to.
func podNetworkOfVeth(lab, veth string) (PodNetwork, bool) {
	short, ok := strings.CutPrefix(veth, "veth")
	if !ok || len(short) != 8 || !isHex(short) {
		return PodNetwork{}, false
	}
	return PodNetwork{Netns: lab + "_pod-" + short, HostVeth: veth}, true
}
