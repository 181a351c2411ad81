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

// startInformers watches the pods bound to this node and the Nodes: all of
// them when the agent may list them (for routes to their pod CIDRs), else
// only its own, which is all the Node authorizer gives a node.
func (a *Agent) startInformers(ctx context.Context) error {
	pods := informers.NewSharedInformerFactoryWithOptions(a.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", a.cfg.Node).String()
		}))
	podInf := pods.Core().V1().Pods()
	a.podLister = podInf.Lister()
	a.podSynced = podInf.Informer().HasSynced
	_, err := podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { a.enqueuePod(o) },
		UpdateFunc: func(_, o any) { a.enqueuePod(o) },
		DeleteFunc: func(o any) { a.enqueuePod(o) },
	})
	if err != nil {
		return err
	}

	all := a.mayListNodes(ctx)
	if !all {
		a.log.Error("this node may not list Nodes, so it cannot route to other nodes' pod CIDRs; " +
			"grant the group system:nodes get/list/watch on nodes (nodeagent.RBAC())")
	}
	nodeOpts := []informers.SharedInformerOption{}
	if !all {
		nodeOpts = append(nodeOpts, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", a.cfg.Node).String()
		}))
	}
	nodes := informers.NewSharedInformerFactoryWithOptions(a.client, 0, nodeOpts...)
	nodeInf := nodes.Core().V1().Nodes()
	a.nodes.lister = nodeInf.Lister()
	_, err = nodeInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { a.nodeChanged(o) },
		UpdateFunc: func(_, o any) { a.nodeChanged(o) },
		DeleteFunc: func(o any) { a.nodeChanged(o) },
	})
	if err != nil {
		return err
	}
	pods.Start(ctx.Done())
	nodes.Start(ctx.Done())
	for typ, ok := range pods.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("failed to sync the %v informer", typ)
		}
	}
	for typ, ok := range nodes.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("failed to sync the %v informer", typ)
		}
	}
	go a.routesLoop(ctx)
	a.nodes.kick()
	return nil
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
