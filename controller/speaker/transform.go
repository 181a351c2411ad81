package speaker

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The speaker caches every Service and EndpointSlice of the cluster, which
// is most of its memory at thousands of Services. The informers' transforms
// therefore keep, instead of the objects, the few facts the speaker reads:
// about 200 bytes per Service and per slice instead of several KiB.

// cachedService is a Service as the Service informer keeps it.
type cachedService struct {
	metav1.TypeMeta
	metav1.ObjectMeta
	svc      service
	announce bool // serviceFrom said the speaker may announce it
}

// cachedSlice is an EndpointSlice as the slice informer keeps it: the
// Service it belongs to and its readiness as seen from this node.
type cachedSlice struct {
	metav1.TypeMeta
	metav1.ObjectMeta
	service string // namespace/name; "" for a slice of no Service
	ready   readiness
}

func (c *cachedService) DeepCopyObject() runtime.Object {
	out := *c
	c.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.svc.ips = slices.Clone(c.svc.ips)
	return &out
}

func (c *cachedSlice) DeepCopyObject() runtime.Object {
	out := *c
	c.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	return &out
}

func trimService(obj any) (any, error) {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return obj, nil // already trimmed, or a tombstone
	}
	svc, announce := serviceFrom(s)
	return &cachedService{ObjectMeta: trimMeta(s.ObjectMeta), svc: svc, announce: announce}, nil
}

// trimSlice returns the transform of the slice informer of node.
func trimSlice(node string) func(any) (any, error) {
	return func(obj any) (any, error) {
		es, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			return obj, nil
		}
		key, _ := serviceKeyOfSlice(es)
		return &cachedSlice{ObjectMeta: trimMeta(es.ObjectMeta), service: key, ready: readinessFrom(es, node)}, nil
	}
}

// trimMeta keeps the identity of an object.
func trimMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion}
}
