package speaker

import (
	"maps"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// service is what the speaker needs from a Service.
type service struct {
	ips   []netip.Addr // status.loadBalancer.ingress[].ip
	pool  string       // lblab.dev/allocated-from-pool
	local bool         // externalTrafficPolicy: Local
}

// serviceFrom extracts the announceable part of a Service; ok is false for
// Services the speaker ignores (not LoadBalancer, another class, no IP).
func serviceFrom(svc *corev1.Service) (service, bool) {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return service{}, false
	}
	pool, annotated := svc.Annotations[v1alpha1.AnnotationAllocatedFromPool]
	class := svc.Spec.LoadBalancerClass
	switch {
	case class != nil && *class != v1alpha1.LoadBalancerClass:
		return service{}, false // another controller's Service
	case class == nil && !annotated:
		return service{}, false // class-less, and our controller did not allocate it
	}
	s := service{pool: pool, local: svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal}
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if a, err := netip.ParseAddr(in.IP); err == nil {
			s.ips = append(s.ips, a.Unmap())
		}
	}
	slices.SortFunc(s.ips, netip.Addr.Compare)
	s.ips = slices.Compact(s.ips)
	return s, len(s.ips) > 0
}

// readiness is what one EndpointSlice says about its Service's endpoints.
type readiness struct {
	any, local bool // a ready endpoint anywhere; one on this node
}

// readinessFrom reads a slice. A nil ready condition counts as ready, as
// kube-proxy reads it.
func readinessFrom(es *discoveryv1.EndpointSlice, node string) readiness {
	var r readiness
	for _, ep := range es.Endpoints {
		if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
			continue
		}
		r.any = true
		if ep.NodeName != nil && *ep.NodeName == node {
			r.local = true
			return r
		}
	}
	return r
}

// serviceKeyOfSlice is the namespace/name of the Service a slice belongs to.
func serviceKeyOfSlice(es *discoveryv1.EndpointSlice) (string, bool) {
	name, ok := es.Labels[discoveryv1.LabelServiceName]
	if !ok || name == "" {
		return "", false
	}
	return es.Namespace + "/" + name, true
}

// nodeState is what the speaker needs from its own Node.
type nodeState struct {
	exists      bool
	uid         types.UID
	labels      map[string]string
	excluded    bool // node.kubernetes.io/exclude-from-external-load-balancers
	unavailable bool // NetworkUnavailable is True
	ips         []netip.Addr
}

func nodeFrom(n *corev1.Node) nodeState {
	s := nodeState{exists: true, uid: n.UID, labels: n.Labels}
	_, s.excluded = n.Labels[corev1.LabelNodeExcludeBalancers]
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeNetworkUnavailable && c.Status == corev1.ConditionTrue {
			s.unavailable = true
		}
	}
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil {
			s.ips = append(s.ips, ip.Unmap())
		}
	}
	return s
}

// eligible reports whether the node may announce anything.
func (n nodeState) eligible() bool { return n.exists && !n.excluded && !n.unavailable }

func (n nodeState) equal(o nodeState) bool {
	return n.exists == o.exists && n.excluded == o.excluded && n.unavailable == o.unavailable &&
		maps.Equal(n.labels, o.labels) && slices.Equal(n.ips, o.ips)
}
