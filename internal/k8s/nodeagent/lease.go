package nodeagent

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/apimachinery/lease"
	"k8s.io/utils/clock"
)

// runLease renews the node's Lease in kube-node-lease every quarter of its
// duration (10 s of 40 s), with the kubelet's own lease controller. The
// node-lifecycle controller marks the node NotReady when renewals stop.
func (a *Agent) runLease(ctx context.Context) {
	c := lease.NewController(clock.RealClock{}, a.client, a.cfg.Node,
		int32(a.cfg.LeaseDuration/time.Second), nil, a.cfg.LeaseDuration/4,
		a.cfg.Node, corev1.NamespaceNodeLease, a.setLeaseOwner)
	c.Run(ctx)
}

// setLeaseOwner makes the Node own its Lease, so deleting the Node deletes
// the Lease (as the kubelet does).
func (a *Agent) setLeaseOwner(l *coordinationv1.Lease) error {
	if len(l.OwnerReferences) > 0 {
		return nil
	}
	n := a.nodes.get()
	if n == nil || n.UID == "" {
		return nil
	}
	l.OwnerReferences = []metav1.OwnerReference{{
		APIVersion: corev1.SchemeGroupVersion.String(),
		Kind:       "Node",
		Name:       n.Name,
		UID:        n.UID,
	}}
	return nil
}
