package speaker

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// Resources of the lblab.dev API the speaker reads and writes.
var (
	BGPPeersResource          = v1alpha1.GroupVersion.WithResource("bgppeers")
	BGPAdvertisementsResource = v1alpha1.GroupVersion.WithResource("bgpadvertisements")
	SpeakerStatusesResource   = v1alpha1.GroupVersion.WithResource("speakerstatuses")
)

// informerSet is every informer the speaker starts. No resync period: the
// speaker reacts to events and never re-lists on a timer.
type informerSet struct {
	core, node, secrets informers.SharedInformerFactory
	crds                dynamicinformer.DynamicSharedInformerFactory
	synced              []cache.InformerSynced
}

func (s *Speaker) informers() (*informerSet, error) {
	c := s.cfg
	set := &informerSet{
		core: informers.NewSharedInformerFactory(c.Client, 0),
		node: informers.NewSharedInformerFactoryWithOptions(c.Client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", c.Node).String()
		})),
		secrets: informers.NewSharedInformerFactoryWithOptions(c.Client, 0, informers.WithNamespace(v1alpha1.Namespace)),
		crds:    dynamicinformer.NewDynamicSharedInformerFactory(c.Dynamic, 0),
	}
	add := func(inf cache.SharedIndexInformer, h cache.ResourceEventHandlerFuncs) error {
		reg, err := inf.AddEventHandler(h)
		if err != nil {
			return fmt.Errorf("failed to add event handler: %w", err)
		}
		set.synced = append(set.synced, reg.HasSynced)
		return nil
	}
	// The Service and EndpointSlice informers have no indexers: the
	// speaker only follows their events, and the factory's default
	// namespace index would cost a set entry for every object.
	svc := set.core.InformerFor(&corev1.Service{}, func(c kubernetes.Interface, _ time.Duration) cache.SharedIndexInformer {
		return coreinformers.NewServiceInformer(c, metav1.NamespaceAll, 0, cache.Indexers{})
	})
	slices := set.core.InformerFor(&discoveryv1.EndpointSlice{}, func(c kubernetes.Interface, _ time.Duration) cache.SharedIndexInformer {
		return discoveryinformers.NewEndpointSliceInformer(c, metav1.NamespaceAll, 0, cache.Indexers{})
	})
	if err := svc.SetTransform(trimService); err != nil {
		return nil, err
	}
	if err := slices.SetTransform(trimSlice(c.Node)); err != nil {
		return nil, err
	}
	if err := add(svc, handlers(func(o *cachedService, deleted bool) {
		key := o.Namespace + "/" + o.Name
		if deleted || !o.announce {
			s.serviceChanged(key, service{}, false)
		} else {
			s.serviceChanged(key, o.svc, true)
		}
	})); err != nil {
		return nil, err
	}
	if err := add(slices, handlers(s.sliceChanged)); err != nil {
		return nil, err
	}
	if err := add(set.node.Core().V1().Nodes().Informer(), handlers(func(o *corev1.Node, deleted bool) {
		if o.Name != c.Node {
			return // the field selector already filters; fakes may not
		}
		if deleted {
			s.nodeChanged(nil)
		} else {
			s.nodeChanged(o)
		}
	})); err != nil {
		return nil, err
	}
	if err := add(set.secrets.Core().V1().Secrets().Informer(), handlers(s.secretChanged)); err != nil {
		return nil, err
	}
	if err := add(set.crds.ForResource(BGPPeersResource).Informer(), crdHandlers(s.log.Error, s.peerChanged)); err != nil {
		return nil, err
	}
	if err := add(set.crds.ForResource(BGPAdvertisementsResource).Informer(), crdHandlers(s.log.Error, s.advertisementChanged)); err != nil {
		return nil, err
	}
	return set, nil
}

func (set *informerSet) start(stop <-chan struct{}) {
	set.core.Start(stop)
	set.node.Start(stop)
	set.secrets.Start(stop)
	set.crds.Start(stop)
}

func (set *informerSet) shutdown() {
	set.core.Shutdown()
	set.node.Shutdown()
	set.secrets.Shutdown()
	set.crds.Shutdown()
}

// handlers adapts a typed callback to informer events, unwrapping the
// tombstones of deletions the watch missed.
func handlers[T any](fn func(obj *T, deleted bool)) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { call(fn, o, false) },
		UpdateFunc: func(_, o any) { call(fn, o, false) },
		DeleteFunc: func(o any) { call(fn, o, true) },
	}
}

func call[T any](fn func(*T, bool), o any, deleted bool) {
	if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	if x, ok := o.(*T); ok {
		fn(x, deleted)
	}
}

// crdHandlers converts the dynamic informer's unstructured objects to the
// typed API; objects that do not convert are logged and skipped.
func crdHandlers[T any](logf func(string, ...any), fn func(*T, bool)) cache.ResourceEventHandlerFuncs {
	conv := func(o any, deleted bool) {
		if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
			o = t.Obj
		}
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			return
		}
		x := new(T)
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, x); err != nil {
			logf("ignoring an object that does not decode", "kind", u.GetKind(), "name", u.GetName(), "error", err)
			return
		}
		fn(x, deleted)
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { conv(o, false) },
		UpdateFunc: func(_, o any) { conv(o, false) },
		DeleteFunc: func(o any) { conv(o, true) },
	}
}
