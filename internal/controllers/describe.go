package controllers

import (
	"strings"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/internal/version"
)

// Describe names a lab's controller and its version: "lblab v0.3.0",
// "MetalLB v0.15.2 (native BGP)", "kube-vip v1.0.0 (services, BGP) with
// kube-vip-cloud-provider v0.0.12", or "none (installed by hand)".
func Describe(t topology.ControllerType) string {
	switch t {
	case topology.ControllerLBLab, "":
		return "lblab " + version.Version
	case topology.ControllerMetalLB:
		return "MetalLB " + components.MetalLBVersion + " (native BGP)"
	case topology.ControllerKubeVIP:
		return "kube-vip " + components.KubeVIPVersion + " (services, BGP) with kube-vip-cloud-provider " + components.KubeVIPCloudProviderVersion
	case topology.ControllerOpenELB:
		return "OpenELB " + components.OpenELBVersion + " (BGP, a manager on every node)"
	case topology.ControllerNone:
		return "none (installed by hand)"
	}
	return string(t)
}

// DescribeAll names every controller of a lab: controller.type, then each
// class controller with its class, e.g. "MetalLB v0.15.2 (native BGP),
// and lblab v0.3.0 for class lblab.dev/lb".
func DescribeAll(c topology.Controller) string {
	s := Describe(c.Type)
	if c.Mode == topology.ModeL2 {
		// Describe names the BGP modes, the ones a bare type implies.
		s = strings.Replace(strings.Replace(s, "(native BGP)", "(L2: ARP and NDP, memberlist)", 1), "(services, BGP)", "(services, ARP)", 1)
	}
	for _, cl := range c.Classes {
		s += ", and " + Describe(cl.Type) + " for class " + cl.LoadBalancerClass
	}
	return s
}

// NoSpeakerAPI says why `inspect bgp` cannot show a controller's speakers'
// own view of their sessions; "" when it can (the bundled speakers' GoBGP
// API; with none, whatever serves one on the usual port).
func NoSpeakerAPI(t topology.ControllerType) string {
	switch t {
	case topology.ControllerMetalLB:
		return Describe(t) + " has no API that shows its speakers' sessions (its FRR mode would, through vtysh in each speaker)"
	case topology.ControllerKubeVIP:
		return Describe(t) + ": kube-vip's embedded GoBGP serves no API that shows its sessions"
	case topology.ControllerOpenELB:
		return Describe(t) + ": each manager's embedded GoBGP serves its gRPC API on 127.0.0.1:50051, but it is GoBGP of 2021 (API gobgpapi.GobgpApi), which lblab's GoBGP v4 client cannot read"
	}
	return ""
}

// DescribeLab is DescribeAll with the external load balancer of an
// externalLB lab, which is its only controller (validated).
func DescribeLab(t *topology.Topology) string {
	if x := t.ExternalLB; x != nil && t.Controller.Type == topology.ControllerNone {
		return "lblab " + version.Version + " external load balancer (HAProxy on lb) for class " + x.LoadBalancerClass
	}
	return DescribeAll(t.Controller)
}
