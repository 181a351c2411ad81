package controller

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// listServices returns every Service in the cache, oldest first.
func (c *Controller) listServices() []*corev1.Service {
	svcs, _ := c.services.List(labels.Everything())
	sort.Slice(svcs, func(i, j int) bool { return olderThan(&svcs[i].ObjectMeta, &svcs[j].ObjectMeta) })
	return svcs
}

// olderThan orders objects by creation time, then namespace and name.
func olderThan(a, b *metav1.ObjectMeta) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// list returns the cached objects of one CRD as typed objects, oldest
// first. Objects that do not convert are skipped (CEL and the schema make
// that unlikely) and reported.
func list[T any, PT interface {
	*T
	metav1.Object
}](c *Controller, resource string) []PT {
	var out []PT
	for _, o := range c.crds[resource].GetStore().List() {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		t := PT(new(T))
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, t); err != nil {
			c.log.Warn("skipping an object that does not match its schema", "resource", resource, "name", u.GetName(), "err", err)
			continue
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
		if !ta.Equal(&tb) {
			return ta.Before(&tb)
		}
		return a.GetName() < b.GetName()
	})
	return out
}

func (c *Controller) listPools() []*v1alpha1.IPPool  { return list[v1alpha1.IPPool](c, "ippools") }
func (c *Controller) listPeers() []*v1alpha1.BGPPeer { return list[v1alpha1.BGPPeer](c, "bgppeers") }
func (c *Controller) listAdvertisements() []*v1alpha1.BGPAdvertisement {
	return list[v1alpha1.BGPAdvertisement](c, "bgpadvertisements")
}

func (c *Controller) listL2Advertisements() []*v1alpha1.L2Advertisement {
	return list[v1alpha1.L2Advertisement](c, "l2advertisements")
}

// stripManagedFields drops managedFields from cached objects: the
// controller never reads them, and at thousands of Services they are a
// large share of the cache.
func stripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// trimService keeps only what the controller reads of a cached Service:
// at thousands of Services, other controllers' annotations (e.g.
// kubectl's last-applied-configuration), status conditions and the
// cluster-internal parts of the spec are most of the cache.
func trimService(obj any) (any, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return stripManagedFields(obj)
	}
	svc.ManagedFields = nil
	for k := range svc.Annotations {
		if !strings.HasPrefix(k, "lblab.dev/") {
			delete(svc.Annotations, k)
		}
	}
	svc.Status.Conditions = nil
	s := &svc.Spec
	s.ClusterIP, s.ClusterIPs, s.ExternalIPs, s.LoadBalancerSourceRanges = "", nil, nil, nil
	s.SessionAffinityConfig, s.InternalTrafficPolicy, s.TrafficDistribution = nil, nil, nil
	for i := range s.Ports {
		s.Ports[i] = corev1.ServicePort{Protocol: s.Ports[i].Protocol, Port: s.Ports[i].Port}
	}
	return svc, nil
}
