package kind

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lblab/lblab/internal/topology"
)

// The Cilium chart lblab installs for the ebpf data plane: the archive
// Cilium publishes in its Helm repository, pinned by version and by the
// archive's SHA-256, which is checked every time the archive is loaded
// (fetchChart): a different archive stops `up`.
//
// What that pins, and what it does not:
//   - pinned: every template and default value of the chart, so the
//     objects and the agent's configuration lblab applies;
//   - images: the chart's values name them, and lblab does not override
//     them. Cilium's release process writes image digests into the
//     published archive (the 1.20.0 archive in github.com/cilium/charts
//     names the agent, operator, Envoy and Hubble images by digest), but
//     the source chart at the v1.20.2 tag does not: rendered with these
//     values it runs quay.io/cilium/cilium:v1.20.2 and
//     quay.io/cilium/operator-generic:v1.20.2 by tag (useDigest: false),
//     and only cilium-envoy by digest. The 1.20.2 archive itself could not
//     be read on the development machines (no route to helm.cilium.io), so
//     whether it names digests has not been checked; `up -v` prints every
//     image the rendered chart runs and marks those pulled by tag only.
//
// The checksum is the one public projects pin for this archive (several
// agree); it was not computed here. 1.20.2 is the newest release whose
// tag the Go module proxy serves (github.com/cilium/cilium).
const (
	ciliumVersion     = "1.20.2"
	ciliumChartURL    = "https://helm.cilium.io/cilium-" + ciliumVersion + ".tgz"
	ciliumChartSHA256 = "b2afd87b7f75f875f92a14559f14f59b7babbb479d968e3fd625a20bf30ec20e"
)

// ciliumValues are the Helm values for a lab: kube-proxy replacement, the
// API server reached through the control-plane node's name (Docker's DNS
// on the kind network resolves it; kube-proxy is absent, so the Service IP
// cannot be used), pod CIDRs from Kubernetes (kind's podSubnet), the
// topology's families, and VXLAN between the nodes over the lab's own
// underlay family: IPv4 where the nodes have it, IPv6 on an IPv6-only lab
// (Cilium 1.20's underlayProtocol; its "auto" would choose the same).
//
// LB-IPAM is off. lblab's controller allocates the LoadBalancer IPs, and
// Cilium's operator runs LB-IPAM by default for class-less LoadBalancer
// Services (defaultLBServiceIPAM: lbipam): once any
// CiliumLoadBalancerIPPool exists it removes from status.loadBalancer
// every ingress IP it did not allocate itself, and the two controllers
// would take turns rewriting the Services. enableLBIPAM: false stops the
// operator's LB-IPAM; defaultLBServiceIPAM: none also tells the agent that
// class-less Services are not LB-IPAM's.
func ciliumValues(t *topology.Topology, controlPlane string) map[string]any {
	underlay := "ipv4"
	if !t.Network.IPFamily.HasV4() {
		underlay = "ipv6"
	}
	return map[string]any{
		"kubeProxyReplacement": true,
		"k8sServiceHost":       controlPlane,
		"k8sServicePort":       6443,
		"ipam":                 map[string]any{"mode": "kubernetes"},
		"ipv4":                 map[string]any{"enabled": t.Network.IPFamily.HasV4()},
		"ipv6":                 map[string]any{"enabled": t.Network.IPFamily.HasV6()},
		"routingMode":          "tunnel",
		"tunnelProtocol":       "vxlan",
		"underlayProtocol":     underlay,
		"enableLBIPAM":         false,
		"defaultLBServiceIPAM": "none",
		"operator":             map[string]any{"replicas": 1},
		"hubble":               map[string]any{"relay": map[string]any{"enabled": false}, "ui": map[string]any{"enabled": false}},
	}
}

// chartImages lists the images the rendered objects run, sorted, each
// once; byTag are those named without a digest.
func chartImages(objs []*unstructured.Unstructured) (all, byTag []string) {
	seen := map[string]bool{}
	for _, o := range objs {
		spec := []string{"spec", "template", "spec"}
		if o.GetKind() == "Pod" {
			spec = []string{"spec"}
		}
		for _, field := range []string{"initContainers", "containers"} {
			ctrs, _, _ := unstructured.NestedSlice(o.Object, append(spec, field)...)
			for _, c := range ctrs {
				m, _ := c.(map[string]any)
				if img, _ := m["image"].(string); img != "" && !seen[img] {
					seen[img] = true
					all = append(all, img)
				}
			}
		}
	}
	sort.Strings(all)
	for _, img := range all {
		if !strings.Contains(img, "@sha256:") {
			byTag = append(byTag, img)
		}
	}
	return all, byTag
}
