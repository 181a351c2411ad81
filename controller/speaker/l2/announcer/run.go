package announcer

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker/l2/owner"
)

// L2AdvertisementsResource is the API resource of L2Advertisements.
var L2AdvertisementsResource = v1alpha1.GroupVersion.WithResource("l2advertisements")

// Run follows the L2Advertisements until ctx ends; once one exists it
// starts the rest (Services, EndpointSlices, Nodes, the node's heartbeat
// and the membership) and keeps the node's answers up to date. On the way
// out it stops answering and releases the node's Lease, so the other
// speakers take its IPs over at once instead of after the lease.
func (a *Announcer) Run(ctx context.Context) error {
	a.mu.Lock()
	a.ctx = ctx
	a.mu.Unlock()
	crds := dynamicinformer.NewDynamicSharedInformerFactory(a.cfg.Dynamic, 0)
	advs := crds.ForResource(L2AdvertisementsResource).Informer()
	if _, err := advs.AddEventHandler(a.wakeOn()); err != nil {
		return err
	}
	crds.Start(ctx.Done())
	defer crds.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), advs.HasSynced) {
		return fmt.Errorf("failed to list L2Advertisements: %w", context.Cause(ctx))
	}
	var core *coreInformers
	var hb *owner.Heartbeat
	for {
		if core == nil && len(advs.GetStore().List()) > 0 {
			var err error
			if core, hb, err = a.activate(ctx); err != nil {
				return err
			}
			defer core.factory.Shutdown()
		}
		if core != nil {
			a.reconcile(core, advs.GetStore().List())
		}
		select {
		case <-ctx.Done():
			a.stop(hb)
			return nil
		case <-a.kick:
		}
	}
}

// coreInformers are the Kubernetes objects L2 mode reads.
type coreInformers struct {
	factory                 informers.SharedInformerFactory
	services, slices, nodes cache.SharedIndexInformer
}

func (a *Announcer) activate(ctx context.Context) (*coreInformers, *owner.Heartbeat, error) {
	a.log.Info("an L2Advertisement exists: answering ARP and NDP for the LB IPs this node owns")
	f := informers.NewSharedInformerFactory(a.cfg.Client, 0)
	c := &coreInformers{factory: f, services: f.Core().V1().Services().Informer(),
		slices: f.Discovery().V1().EndpointSlices().Informer(), nodes: f.Core().V1().Nodes().Informer()}
	for _, inf := range []cache.SharedIndexInformer{c.services, c.slices, c.nodes} {
		if _, err := inf.AddEventHandler(a.wakeOn()); err != nil {
			return nil, nil, err
		}
	}
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.services.HasSynced, c.slices.HasSynced, c.nodes.HasSynced) {
		return nil, nil, fmt.Errorf("failed to list Services, EndpointSlices and Nodes: %w", context.Cause(ctx))
	}
	hb := owner.NewHeartbeat(a.cfg.Client, a.cfg.Node, a.cfg.Lease)
	go hb.Run(ctx)
	m := owner.NewMembership(a.cfg.Client, a.cfg.Lease, func([]string) { a.wake() })
	a.mu.Lock()
	a.membership = m
	a.mu.Unlock()
	go func() {
		if err := m.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("membership stopped", "error", err)
		}
	}()
	return c, hb, nil
}

// stop stops answering and gives the node's IPs up.
func (a *Announcer) stop(hb *owner.Heartbeat) {
	a.mu.Lock()
	for _, r := range a.responders {
		r.Set(nil)
	}
	a.owned = nil
	a.mu.Unlock()
	if hb == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := hb.Release(ctx); err != nil {
		a.log.Warn("failed to release the node's lease; the others take over when it expires", "error", err)
	}
}

func (a *Announcer) wakeOn() cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { a.wake() },
		UpdateFunc: func(any, any) { a.wake() },
		DeleteFunc: func(any) { a.wake() },
	}
}

// inputs reads the caches.
func (a *Announcer) inputs(c *coreInformers, advObjs []any) Inputs {
	in := Inputs{Nodes: map[string]map[string]string{}, Ready: map[string]map[string]bool{}}
	for _, o := range advObjs {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		var adv v1alpha1.L2Advertisement
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &adv); err != nil {
			a.log.Error("ignoring an L2Advertisement that does not decode", "name", u.GetName(), "error", err)
			continue
		}
		sels, err := ParseSelectors(adv.Spec.NodeSelectors)
		if err != nil {
			a.log.Error("ignoring an L2Advertisement with a bad node selector", "name", adv.Name, "error", err)
			continue
		}
		in.Advs = append(in.Advs, Advertisement{Name: adv.Name, Pools: adv.Spec.IPPools, Selectors: sels, Interfaces: adv.Spec.Interfaces})
	}
	for _, o := range c.services.GetStore().List() {
		svc := o.(*corev1.Service)
		if ips, pool, local, ok := a.cfg.ServiceOf(svc); ok {
			in.Services = append(in.Services, Service{Key: svc.Namespace + "/" + svc.Name, UID: string(svc.UID), IPs: ips, Pool: pool, Local: local})
		}
	}
	for _, o := range c.slices.GetStore().List() {
		es := o.(*discoveryv1.EndpointSlice)
		name := es.Labels[discoveryv1.LabelServiceName]
		if name == "" {
			continue
		}
		key := es.Namespace + "/" + name
		for _, ep := range es.Endpoints {
			if ep.NodeName == nil || ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			if in.Ready[key] == nil {
				in.Ready[key] = map[string]bool{}
			}
			in.Ready[key][*ep.NodeName] = true
		}
	}
	for _, o := range c.nodes.GetStore().List() {
		n := o.(*corev1.Node)
		if _, excluded := n.Labels[corev1.LabelNodeExcludeBalancers]; excluded || networkUnavailable(n) {
			continue
		}
		in.Nodes[n.Name] = n.Labels
	}
	return in
}

func networkUnavailable(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeNetworkUnavailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
