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
	HostVeth string       // the node end of the veth ("" if a plugin chose it and it is not known)
	IPs      []netip.Addr // on the pod's eth0, primary first
	Gateways []netip.Addr // on the node end; the pod's default routes go via them

	// The pod it belongs to, which a CNI plugin is told (K8S_POD_*);
	// the agent's own network ignores it.
	PodUID       types.UID
	PodNamespace string
	PodName      string
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

// PluginNetwork is a Network whose plugin assigns the pod IPs and owns pod
// routing and masquerading, as a CNI plugin does (NewCNINetwork). The agent
// then runs no IPAM, SyncRoutes or SyncMasquerade of its own, and calls
// Attach instead of Setup. Its PodNetworks may leave HostVeth empty: pods
// are then told apart by namespace.
type PluginNetwork interface {
	Network
	// Attach creates the pod's namespace if needed and has the plugin wire
	// it (or finds it wired already). It returns p with IPs as the plugin
	// assigned them (one per family, in the plugin's order), and Gateways
	// and HostVeth where the plugin reported them.
	Attach(p PodNetwork) (PodNetwork, error)
}

// podNetNames returns a pod's namespace and host veth names. The namespace
// is named after the whole pod UID, so it is unique across the lab's nodes
// (which share /run/netns), and carries the lab prefix, so `lblab down`
// deletes it with the lab. The veth (15 bytes at most) lives in the node's
// namespace and takes 11 hex digits of the UID; vethTaken reports names in
// use by other pods of this node, and on a clash a hash of the UID is used.
func podNetNames(lab string, uid types.UID, vethTaken func(string) bool) (netns, veth string) {
	netns = lab + "_pod-" + sanitizeUID(uid)
	s := strings.ToLower(strings.ReplaceAll(string(uid), "-", ""))
	if len(s) < 11 || !isHex(s[:11]) || vethTaken("veth"+s[:11]) {
		sum := sha256.Sum256([]byte(uid))
		s = hex.EncodeToString(sum[:6])
	}
	return netns, "veth" + s[:11]
}

// sanitizeUID keeps a UID usable in a file name (UIDs are UUIDs; this
// only guards against odd ones).
func sanitizeUID(uid types.UID) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, string(uid))
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// podNetNSPrefix is the prefix of the lab's pod namespaces.
func podNetNSPrefix(lab string) string { return lab + "_pod-" }
