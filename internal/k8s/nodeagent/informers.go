package nodeagent

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

var everything = labels.Everything()

// startInformers watches the pods bound to this node and its own Node, and
// waits for both. Every Node (for routes to their pod CIDRs) is watched too,
// as soon as this identity may list them: the Node authorizer lets a node
// read only its own Node, so that takes the grant of RBAC().
func (a *Agent) startInformers(ctx context.Context) error {
	pods := informers.NewSharedInformerFactoryWithOptions(a.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", a.cfg.Node).String()
		}))
	podInf := pods.Core().V1().Pods()
	a.podLister = podInf.Lister()
	a.podSynced = podInf.Informer().HasSynced
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { a.enqueuePod(o) },
		UpdateFunc: func(_, o any) { a.enqueuePod(o) },
		DeleteFunc: func(o any) { a.enqueuePod(o) },
	}
	if _, err := podInf.Informer().AddEventHandler(handler); err != nil {
		return err
	}
	self := informers.NewSharedInformerFactoryWithOptions(a.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", a.cfg.Node).String()
		}))
	nodeHandler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { a.nodeChanged(o) },
		UpdateFunc: func(_, o any) { a.nodeChanged(o) },
		DeleteFunc: func(o any) { a.nodeChanged(o) },
	}
	if _, err := self.Core().V1().Nodes().Informer().AddEventHandler(nodeHandler); err != nil {
		return err
	}
	pods.Start(ctx.Done())
	self.Start(ctx.Done())
	for _, f := range []informers.SharedInformerFactory{pods, self} {
		for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
			if !ok {
				return fmt.Errorf("failed to sync the %v informer", typ)
			}
		}
	}
	go a.watchAllNodes(ctx, nodeHandler)
	go a.wiring.run(ctx)
	return nil
}

// watchAllNodes starts the informer of every Node once this node may list
// them, checking every few seconds until then.
func (a *Agent) watchAllNodes(ctx context.Context, h cache.ResourceEventHandler) {
	for warned := false; !a.mayListNodes(ctx); warned = true {
		if !warned {
			a.log.Error("this node may not list Nodes, so it cannot route to other nodes' pod CIDRs yet; "+
				"grant the group system:nodes get/list/watch on nodes (nodeagent.RBAC()); checking again", "every", a.cfg.NodeListRetry)
		}
		if !sleepCtx(ctx, a.cfg.NodeListRetry) {
			return
		}
	}
	f := informers.NewSharedInformerFactory(a.client, 0)
	inf := f.Core().V1().Nodes()
	if _, err := inf.Informer().AddEventHandler(h); err != nil {
		a.log.Error("failed to watch Nodes", "err", err)
		return
	}
	lister := inf.Lister()
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	a.nodes.setLister(lister)
	a.nodes.kick()
}

func (a *Agent) enqueuePod(o any) {
	if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = d.Obj
	}
	p, ok := o.(*corev1.Pod)
	if !ok || p.Spec.NodeName != a.cfg.Node {
		return
	}
	a.queue.Add(podKey(p.Namespace, p.Name))
}

// mayListNodes asks the API server whether this identity may list Nodes.
func (a *Agent) mayListNodes(ctx context.Context) bool {
	r, err := a.client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: "watch", Resource: "nodes"}},
	}, metav1.CreateOptions{})
	if err != nil {
		a.log.Error("failed to check whether this node may list Nodes", "err", err)
		return false
	}
	return r.Status.Allowed
}
