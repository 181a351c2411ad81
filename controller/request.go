package controller

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/lblab/lblab/controller/allocator"
	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// ours reports whether the controller handles the Service.
func (c *Controller) ours(svc *corev1.Service) bool {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || svc.DeletionTimestamp != nil {
		return false
	}
	if svc.Spec.LoadBalancerClass != nil {
		return *svc.Spec.LoadBalancerClass == v1alpha1.LoadBalancerClass
	}
	return c.opts.HandleClassless
}

// request turns a Service into an allocation request. The error (an
// *allocator.Error with ReasonInvalid) names the field at fault; the
// request is still usable without the requested addresses.
func request(svc *corev1.Service) (allocator.Service, error) {
	s := allocator.Service{
		Key:        svc.Namespace + "/" + svc.Name,
		Namespace:  svc.Namespace,
		Labels:     svc.Labels,
		Pool:       strings.TrimSpace(svc.Annotations[v1alpha1.AnnotationIPPool]),
		SharingKey: strings.TrimSpace(svc.Annotations[v1alpha1.AnnotationSharingKey]),
		Local:      svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal,
	}
	if s.Local {
		s.Selector = labels.Set(svc.Spec.Selector).String()
	}
	for _, f := range svc.Spec.IPFamilies {
		if f == corev1.IPv6Protocol {
			s.Families = append(s.Families, allocator.IPv6)
		} else {
			s.Families = append(s.Families, allocator.IPv4)
		}
	}
	if p := svc.Spec.IPFamilyPolicy; p != nil {
		s.Policy = allocator.FamilyPolicy(*p)
	}
	for _, p := range svc.Spec.Ports {
		proto := string(p.Protocol)
		if proto == "" {
			proto = "TCP"
		}
		s.Ports = append(s.Ports, allocator.Port{Protocol: proto, Port: p.Port})
	}
	ips, err := requestedIPs(svc)
	if err != nil {
		return s, &allocator.Error{Reason: allocator.ReasonInvalid, Message: err.Error()}
	}
	s.IPs = ips
	return s, nil
}

// requestedIPs reads spec.loadBalancerIP and the lblab.dev/load-balancer-ips
// annotation. When both are set, the annotation must contain the field's
// address.
func requestedIPs(svc *corev1.Service) ([]netip.Addr, error) {
	var field netip.Addr
	if v := strings.TrimSpace(svc.Spec.LoadBalancerIP); v != "" {
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("spec.loadBalancerIP %q is not an IP address", v)
		}
		field = a.Unmap()
	}
	ann, ok := svc.Annotations[v1alpha1.AnnotationLoadBalancerIPs]
	if !ok || strings.TrimSpace(ann) == "" {
		if field.IsValid() {
			return []netip.Addr{field}, nil
		}
		return nil, nil
	}
	var out []netip.Addr
	for _, part := range strings.Split(ann, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(part))
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("annotation %s: %q is not an IP address (write one address per family, comma-separated)",
				v1alpha1.AnnotationLoadBalancerIPs, strings.TrimSpace(part))
		}
		out = append(out, a.Unmap())
	}
	if field.IsValid() && !slices.Contains(out, field) {
		return nil, fmt.Errorf("spec.loadBalancerIP %s is not among annotation %s (%s); set one or make them agree",
			field, v1alpha1.AnnotationLoadBalancerIPs, ann)
	}
	return out, nil
}

// ingressIPs returns the addresses in a Service's status.
func ingressIPs(svc *corev1.Service) []netip.Addr {
	var out []netip.Addr
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if a, err := netip.ParseAddr(in.IP); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// desiredIngress is the status the controller writes for an allocation.
func desiredIngress(ips []netip.Addr) []corev1.LoadBalancerIngress {
	vip := corev1.LoadBalancerIPModeVIP
	out := make([]corev1.LoadBalancerIngress, len(ips))
	for i, ip := range ips {
		out[i] = corev1.LoadBalancerIngress{IP: ip.String(), IPMode: &vip}
	}
	return out
}

func sameIngress(a, b []corev1.LoadBalancerIngress) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].IP != b[i].IP || a[i].Hostname != b[i].Hostname || len(a[i].Ports) > 0 || ipMode(a[i]) != ipMode(b[i]) {
			return false
		}
	}
	return true
}

// ipMode returns an ingress's ipMode; the apiserver defaults it to VIP.
func ipMode(in corev1.LoadBalancerIngress) corev1.LoadBalancerIPMode {
	if in.IPMode == nil {
		return corev1.LoadBalancerIPModeVIP
	}
	return *in.IPMode
}
