package speaker

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// The speaker caches every Service and EndpointSlice of the cluster. These
// transforms keep only what it reads (about a tenth of each object: no
// managed fields, addresses, ports or hints), which is most of its memory
// at thousands of Services.

func trimService(obj any) (any, error) {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return obj, nil
	}
	out := &corev1.Service{
		ObjectMeta: trimMeta(s.ObjectMeta),
		Spec: corev1.ServiceSpec{
			Type:                  s.Spec.Type,
			LoadBalancerClass:     s.Spec.LoadBalancerClass,
			ExternalTrafficPolicy: s.Spec.ExternalTrafficPolicy,
		},
		Status: corev1.ServiceStatus{LoadBalancer: s.Status.LoadBalancer},
	}
	if pool, ok := s.Annotations[v1alpha1.AnnotationAllocatedFromPool]; ok {
		out.Annotations = map[string]string{v1alpha1.AnnotationAllocatedFromPool: pool}
	}
	return out, nil
}

func trimEndpointSlice(obj any) (any, error) {
	es, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return obj, nil
	}
	out := &discoveryv1.EndpointSlice{ObjectMeta: trimMeta(es.ObjectMeta), AddressType: es.AddressType}
	if name, ok := es.Labels[discoveryv1.LabelServiceName]; ok {
		out.Labels = map[string]string{discoveryv1.LabelServiceName: name}
	}
	out.Endpoints = make([]discoveryv1.Endpoint, len(es.Endpoints))
	for i, ep := range es.Endpoints {
		out.Endpoints[i] = discoveryv1.Endpoint{NodeName: ep.NodeName, Conditions: discoveryv1.EndpointConditions{Ready: ep.Conditions.Ready}}
	}
	return out, nil
}

// trimMeta keeps the identity of an object, without labels and annotations
// (the callers copy the few they read).
func trimMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion}
}
