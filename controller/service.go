package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lblab/lblab/controller/allocator"
	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// syncService reconciles one Service: allocate or confirm its addresses
// and write them, or release them.
func (c *Controller) syncService(ctx context.Context, key string) error {
	ns, name, _ := strings.Cut(key, "/")
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		_ = c.release(key, nil)
		return nil
	}
	if err != nil {
		return err
	}
	if !c.ours(svc) {
		released := c.release(key, svc)
		return c.clearStatus(ctx, svc, released)
	}
	req, reqErr := request(svc)
	c.mu.Lock()
	var got allocator.Allocation
	var changed bool
	if reqErr == nil {
		got, changed, err = c.alloc.Allocate(req)
	} else {
		err = reqErr
	}
	if err != nil {
		c.failing[key] = true
		if v, bad := c.invalid[req.Pool]; bad && allocator.ReasonOf(err) == allocator.ReasonUnknownPool {
			err = &allocator.Error{Reason: allocator.ReasonUnknownPool, Message: fmt.Sprintf(
				"IPPool %q (annotation lblab.dev/ip-pool) has never been valid: %s: %s", req.Pool, v.reason, v.message)}
		}
	} else {
		delete(c.failing, key)
		c.uids[key] = svc.UID
	}
	c.mu.Unlock()
	if err != nil {
		reason := allocator.ReasonOf(err)
		c.metrics.failures.WithLabelValues(string(reason)).Inc()
		c.recorder.Eventf(svc, corev1.EventTypeWarning, v1alpha1.ReasonAllocationFailed, "%s: %v", reason, err)
		c.log.Info("allocation failed", "service", key, "reason", reason, "err", err)
		return nil // retried when something changes (a release, the pools)
	}
	if changed {
		c.metrics.allocations.WithLabelValues(got.Pool).Inc()
		c.queue.AddAfter(keyPoolStatus, c.opts.PoolStatusInterval)
	}
	if err := c.writeStatus(ctx, svc, got); err != nil {
		return err
	}
	if changed {
		c.recorder.Eventf(svc, corev1.EventTypeNormal, v1alpha1.ReasonIPAllocated, "Assigned %s from IPPool %q", got, got.Pool)
		c.log.Info("allocated", "service", key, "ips", got.String(), "pool", got.Pool)
	}
	return nil
}

// release frees what a Service held and returns its addresses. svc is
// nil when it is gone.
func (c *Controller) release(key string, svc *corev1.Service) []netip.Addr {
	c.mu.Lock()
	held, _ := c.alloc.Get(key)
	ips := c.alloc.Release(key)
	uid := c.uids[key]
	delete(c.uids, key)
	delete(c.failing, key)
	anyFailing := len(c.failing) > 0
	c.mu.Unlock()
	if len(ips) == 0 {
		return nil
	}
	c.metrics.releases.Inc()
	c.queue.AddAfter(keyPoolStatus, c.opts.PoolStatusInterval)
	ref := svc
	if ref == nil {
		ns, name, _ := strings.Cut(key, "/")
		ref = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: uid}}
	}
	c.recorder.Eventf(ref, corev1.EventTypeNormal, v1alpha1.ReasonIPReleased, "Released %s to IPPool %q", held, held.Pool)
	c.log.Info("released", "service", key, "ips", held.String())
	if anyFailing {
		c.retryFailing()
	}
	return ips
}

// statusPatch is a merge patch of the status subresource. For Services it
// may also change metadata, so the pool annotation and the ingress go in
// one write; metadata.uid makes it fail on a re-created Service.
type statusPatch struct {
	Metadata patchMeta    `json:"metadata"`
	Status   *patchStatus `json:"status,omitempty"`
}

type patchMeta struct {
	UID         types.UID          `json:"uid"`
	Annotations map[string]*string `json:"annotations,omitempty"`
}

type patchStatus struct {
	LoadBalancer corev1.LoadBalancerStatus `json:"loadBalancer"`
}

// writeStatus writes the allocation to the Service when it differs.
func (c *Controller) writeStatus(ctx context.Context, svc *corev1.Service, got allocator.Allocation) error {
	p := statusPatch{Metadata: patchMeta{UID: svc.UID}}
	want := desiredIngress(got.IPs)
	if !sameIngress(svc.Status.LoadBalancer.Ingress, want) {
		p.Status = &patchStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: want}}
	}
	// An address in no pool (its pool was deleted) keeps the annotation
	// it had: it says where the address came from, and speakers announce
	// only Services the controller marked.
	if cur := svc.Annotations[v1alpha1.AnnotationAllocatedFromPool]; got.Pool != "" && cur != got.Pool {
		p.Metadata.Annotations = map[string]*string{v1alpha1.AnnotationAllocatedFromPool: &got.Pool}
	}
	if p.Status == nil && p.Metadata.Annotations == nil {
		return nil
	}
	return c.patchServiceStatus(ctx, svc, p)
}

// clearStatus removes the pool annotation from a Service the controller
// no longer handles, and its ingress when that is exactly the addresses
// just released (never another controller's).
func (c *Controller) clearStatus(ctx context.Context, svc *corev1.Service, released []netip.Addr) error {
	if _, has := svc.Annotations[v1alpha1.AnnotationAllocatedFromPool]; !has {
		return nil
	}
	p := statusPatch{Metadata: patchMeta{UID: svc.UID,
		Annotations: map[string]*string{v1alpha1.AnnotationAllocatedFromPool: nil}}}
	if len(released) > 0 && sameIngress(svc.Status.LoadBalancer.Ingress, desiredIngress(released)) {
		p.Status = &patchStatus{}
	}
	return c.patchServiceStatus(ctx, svc, p)
}

func (c *Controller) patchServiceStatus(ctx context.Context, svc *corev1.Service, p statusPatch) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = c.client.CoreV1().Services(svc.Namespace).Patch(ctx, svc.Name, types.MergePatchType, data, metav1.PatchOptions{FieldManager: "lblab-controller"}, "status")
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) || apierrors.IsInvalid(err) && strings.Contains(err.Error(), "uid") {
		return nil // deleted or re-created meanwhile: its own event follows
	}
	if err != nil {
		return fmt.Errorf("failed to write the status of Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}

// restore rebuilds the allocator from the addresses existing Services
// hold, oldest Service first, before anything new is allocated. A Service
// whose address an older one already holds (incompatibly) gets a new one
// when it is reconciled.
func (c *Controller) restore() int {
	n := 0
	for _, svc := range c.listServices() {
		if !c.ours(svc) {
			continue
		}
		ips := ingressIPs(svc)
		if len(ips) == 0 {
			continue
		}
		req, _ := request(svc)
		req.IPs = nil
		key := req.Key
		c.mu.Lock()
		_, err := c.alloc.Assign(req, ips)
		if err == nil {
			c.uids[key] = svc.UID
			n++
		}
		c.mu.Unlock()
		if err != nil {
			c.log.Warn("an existing Service's address is taken by an older Service; it will get a new one", "service", key, "err", err)
			c.recorder.Eventf(svc, corev1.EventTypeWarning, v1alpha1.ReasonAllocationFailed, "%s: keeping %s is impossible: %v",
				allocator.ReasonOf(err), joinAddrs(ips), err)
		}
	}
	return n
}

func joinAddrs(ips []netip.Addr) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return strings.Join(s, ",")
}
