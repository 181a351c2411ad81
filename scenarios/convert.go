package scenarios

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// NodeInfoFrom reduces a Node; addrs are its lab fabric addresses (the
// node's InternalIPs are used when the lab has none for it).
func NodeInfoFrom(n *corev1.Node, addrs []netip.Addr) NodeInfo {
	ni := NodeInfo{Name: n.Name, Addrs: addrs}
	if _, ok := n.Labels[LabelExcludeLB]; ok {
		ni.Excluded = true
	}
	for _, c := range n.Status.Conditions {
		switch c.Type {
		case corev1.NodeNetworkUnavailable:
			ni.NetworkUnavailable = c.Status == corev1.ConditionTrue
		case corev1.NodeReady:
			ni.Ready = c.Status == corev1.ConditionTrue
		}
	}
	if len(ni.Addrs) == 0 {
		for _, a := range n.Status.Addresses {
			if ip, err := netip.ParseAddr(a.Address); err == nil && a.Type == corev1.NodeInternalIP {
				ni.Addrs = append(ni.Addrs, ip)
			}
		}
	}
	return ni
}

// ServiceInfoFrom reduces a Service and its EndpointSlices.
func ServiceInfoFrom(svc *corev1.Service, slices []discoveryv1.EndpointSlice) ServiceInfo {
	si := ServiceInfo{Namespace: svc.Namespace, Name: svc.Name, Type: string(svc.Spec.Type), Class: lbClass(svc),
		ETPLocal:            svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal,
		HealthCheckNodePort: uint16(svc.Spec.HealthCheckNodePort),
		LBIPs:               []netip.Addr{}, Ports: []PortInfo{}, Endpoints: []EndpointInfo{}}
	for _, f := range svc.Spec.IPFamilies {
		si.Families = append(si.Families, string(f))
	}
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if a, err := netip.ParseAddr(ing.IP); err == nil {
			si.LBIPs = append(si.LBIPs, a)
		}
	}
	for _, p := range svc.Spec.Ports {
		si.Ports = append(si.Ports, PortInfo{Name: p.Name, Port: uint16(p.Port), NodePort: uint16(p.NodePort), Protocol: strings.ToLower(string(p.Protocol))})
	}
	for _, r := range svc.Spec.LoadBalancerSourceRanges {
		if p, err := netip.ParsePrefix(strings.TrimSpace(r)); err == nil {
			si.SourceRanges = append(si.SourceRanges, p)
		}
	}
	for _, sl := range slices {
		ports := map[string]uint16{}
		for _, p := range sl.Ports {
			if p.Port == nil {
				continue
			}
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			ports[name] = uint16(*p.Port)
		}
		for _, ep := range sl.Endpoints {
			ready := ep.Conditions.Ready == nil || *ep.Conditions.Ready
			node := ""
			if ep.NodeName != nil {
				node = *ep.NodeName
			}
			pod := ""
			if ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
				pod = ep.TargetRef.Name
			}
			for _, a := range ep.Addresses {
				if ip, err := netip.ParseAddr(a); err == nil {
					si.Endpoints = append(si.Endpoints, EndpointInfo{Addr: ip, Node: node, Ready: ready, Pod: pod, Ports: ports})
				}
			}
		}
	}
	return si
}

// lbClass is the Service's spec.loadBalancerClass, "" for none.
func lbClass(svc *corev1.Service) string {
	if c := svc.Spec.LoadBalancerClass; c != nil {
		return *c
	}
	return ""
}
