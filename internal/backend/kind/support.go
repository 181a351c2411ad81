package kind

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lblab/lblab/internal/topology"
)

// Every data plane runs with every IP family on the kind backend, as
// configured with the pinned versions (a golden kind config for each pair,
// golden Cilium values for each family; none of them has run on kind yet):
//   - kube-proxy iptables, ipvs and nftables all handle ipv4, ipv6 and
//     dual-stack at v1.37 (nftables is GA since v1.33; ipvs is deprecated
//     since v1.35 but still built and configured by kind v0.33);
//   - Cilium 1.20 tunnels VXLAN over the lab's own family: an IPv4 underlay
//     where the nodes have IPv4, an IPv6 underlay on IPv6-only labs
//     (underlayProtocol, see ciliumValues).

// Node labels the kubelet may set on its own Node (NodeRestriction): kind
// passes node labels to the kubelet, which refuses to start with others in
// the kubernetes.io and k8s.io namespaces.
var kubeletLabelPrefixes = []string{"kubelet.kubernetes.io/", "node.kubernetes.io/"}
var kubeletLabels = map[string]bool{
	"kubernetes.io/hostname": true, "kubernetes.io/arch": true, "kubernetes.io/os": true,
	"node.kubernetes.io/instance-type": true, "topology.kubernetes.io/region": true, "topology.kubernetes.io/zone": true,
	"beta.kubernetes.io/instance-type": true, "beta.kubernetes.io/arch": true, "beta.kubernetes.io/os": true,
	"failure-domain.beta.kubernetes.io/region": true, "failure-domain.beta.kubernetes.io/zone": true,
}

// badNodeLabels lists the topology's node labels a kind node cannot carry.
func badNodeLabels(t *topology.Topology) []string {
	var bad []string
	for i, n := range t.Nodes.List {
		keys := make([]string, 0, len(n.Labels))
		for k := range n.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if restrictedLabel(k) {
				bad = append(bad, fmt.Sprintf("nodes[%d].labels: %s is in a namespace the kubelet may not set on its own Node "+
					"(allowed there: %s*, and the well-known topology labels); choose another key", i, k, strings.Join(kubeletLabelPrefixes, "*, ")))
			}
		}
	}
	return bad
}

func restrictedLabel(key string) bool {
	domain, _, ok := strings.Cut(key, "/")
	if !ok || kubeletLabels[key] {
		return false
	}
	for _, p := range kubeletLabelPrefixes {
		if strings.HasPrefix(key, p) {
			return false
		}
	}
	return domain == "kubernetes.io" || domain == "k8s.io" ||
		strings.HasSuffix(domain, ".kubernetes.io") || strings.HasSuffix(domain, ".k8s.io")
}
