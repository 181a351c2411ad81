package speaker

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The speaker caches every Service and EndpointSlice of the cluster, which
// is most of its memory at thousands of Services. The informers' transforms
// therefore keep, instead of the objects, the few facts the speaker reads:
// about 100 bytes per Service and per slice instead of several KiB.

// identity is what the informers need of a cached object: its key, and
// its resourceVersion (a relist treats an object whose version did not
// change as unchanged). It satisfies runtime.Object and, through
// GetObjectMeta, meta.Accessor; an embedded metav1.ObjectMeta would cost
// about 250 bytes per object for fields that stay empty.
type identity struct {
	Namespace, Name, resourceVersion string
}

func identityOf(m metav1.ObjectMeta) identity {
	return identity{Namespace: m.Namespace, Name: m.Name, resourceVersion: m.ResourceVersion}
}

// GetObjectMeta returns a copy: setting a field of it changes nothing.
func (i identity) GetObjectMeta() metav1.Object {
	return &metav1.ObjectMeta{Namespace: i.Namespace, Name: i.Name, ResourceVersion: i.resourceVersion}
}

func (identity) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// cachedService is a Service as the Service informer keeps it.
type cachedService struct {
	identity
	svc      service
	announce bool // serviceFrom said the speaker may announce it
}

// cachedSlice is an EndpointSlice as the slice informer keeps it: the
// Service it belongs to and its readiness as seen from this node.
type cachedSlice struct {
	identity
	service string // namespace/name; "" for a slice of no Service
	ready   readiness
}

func (c *cachedService) DeepCopyObject() runtime.Object {
	out := *c
	out.svc.ips = slices.Clone(c.svc.ips)
	return &out
}

func (c *cachedSlice) DeepCopyObject() runtime.Object {
	out := *c
	return &out
}

func trimService(obj any) (any, error) {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return obj, nil // already trimmed, or a tombstone
	}
	svc, announce := serviceFrom(s)
	return &cachedService{identity: identityOf(s.ObjectMeta), svc: svc, announce: announce}, nil
}

// trimSlice returns the transform of the slice informer of node.
func trimSlice(node string) func(any) (any, error) {
	return func(obj any) (any, error) {
		es, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			return obj, nil
		}
		key, _ := serviceKeyOfSlice(es)
		return &cachedSlice{identity: identityOf(es.ObjectMeta), service: key, ready: readinessFrom(es, node)}, nil
	}
}
