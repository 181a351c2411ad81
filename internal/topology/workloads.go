package topology

import (
	"fmt"
	"net/netip"
	"slices"
)

func validateWorkloads(e *errs, t *Topology) {
	seen := map[string]bool{}
	for i, w := range t.Workloads {
		p := fmt.Sprintf("workloads[%d]", i)
		switch {
		case len(w.Name) > 63 || !dnsLabel.MatchString(w.Name):
			e.add(p+".name", "%q must be a DNS label", w.Name)
		case seen[w.Namespace+"/"+w.Name]:
			e.add(p+".name", "%q is used by another workload in namespace %s", w.Name, w.Namespace)
		}
		seen[w.Namespace+"/"+w.Name] = true
		if !dnsLabel.MatchString(w.Namespace) {
			e.add(p+".namespace", "%q must be a DNS label", w.Namespace)
		}
		if w.Replicas != nil && *w.Replicas < 0 {
			e.add(p+".replicas", "%d must not be negative", *w.Replicas)
		}
		if w.Service != nil {
			validateService(e, p+".service", w.Service, t)
		}
	}
}

func validateService(e *errs, p string, s *Service, t *Topology) {
	if !slices.Contains([]string{"LoadBalancer", "NodePort", "ClusterIP"}, s.Type) {
		e.add(p+".type", "%q is not LoadBalancer, NodePort or ClusterIP", s.Type)
	}
	ports := map[string]bool{}
	for i, port := range s.Ports {
		pp := fmt.Sprintf("%s.ports[%d]", p, i)
		if port.Port < 1 || port.Port > 65535 {
			e.add(pp+".port", "%d is not between 1 and 65535", port.Port)
		}
		if port.TargetPort < 1 || port.TargetPort > 65535 {
			e.add(pp+".targetPort", "%d is not between 1 and 65535", port.TargetPort)
		}
		if !slices.Contains([]string{"TCP", "UDP", "SCTP"}, port.Protocol) {
			e.add(pp+".protocol", "%q is not TCP, UDP or SCTP", port.Protocol)
		}
		key := fmt.Sprintf("%d/%s", port.Port, port.Protocol)
		if ports[key] {
			e.add(pp+".port", "%s is listed twice", key)
		}
		ports[key] = true
	}
	if !slices.Contains([]string{"Cluster", "Local"}, s.ExternalTrafficPolicy) {
		e.add(p+".externalTrafficPolicy", "%q is not Cluster or Local", s.ExternalTrafficPolicy)
	}
	switch s.IPFamilyPolicy {
	case "SingleStack", "PreferDualStack":
	case "RequireDualStack":
		if t.Network.IPFamily != Dual {
			e.add(p+".ipFamilyPolicy", "RequireDualStack needs network.ipFamily: dual (it is %s)", t.Network.IPFamily)
		}
	default:
		e.add(p+".ipFamilyPolicy", "%q is not SingleStack, PreferDualStack or RequireDualStack", s.IPFamilyPolicy)
	}
	pools, field := t.Controller.Pools, "controller.pools"
	if xp, xf, ok := t.externalLBPools(s.LoadBalancerClass); ok {
		pools, field = xp, xf
	} else if s.LoadBalancerClass != "" {
		cl := t.Controller.classOf(s.LoadBalancerClass)
		if cl == nil {
			e.add(p+".loadBalancerClass", "%q is not the class of any of controller.classes or of externalLB: no controller of the lab would serve the Service", s.LoadBalancerClass)
		} else {
			pools, field = cl.Pools, fmt.Sprintf("the pools of controller.classes (%s)", s.LoadBalancerClass)
		}
	}
	if s.Pool != "" && !slices.ContainsFunc(pools, func(pl Pool) bool { return pl.Name == s.Pool }) {
		e.add(p+".pool", "%q is not a pool in %s", s.Pool, field)
	}
	for i, r := range s.LoadBalancerSourceRanges {
		if _, err := netip.ParsePrefix(r); err != nil {
			e.add(fmt.Sprintf("%s.loadBalancerSourceRanges[%d]", p, i), "%s is not a valid prefix", r)
		}
	}
}
