package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lblab/lblab/controller/allocator"
	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// syncConfig recomputes the effective pools and peers, configures the
// allocator, writes the Valid conditions, and retries failed Services.
func (c *Controller) syncConfig(ctx context.Context) error {
	pools, peers, advs, l2advs := c.listPools(), c.listPeers(), c.listAdvertisements(), c.listL2Advertisements()
	c.mu.Lock()
	poolV := c.cfg.updatePools(pools, c.alloc)
	c.invalid = map[string]verdict{}
	for name, v := range poolV {
		if !v.ok {
			c.invalid[name] = v
		}
	}
	err := c.alloc.SetPools(c.allocatorPools())
	peerV := c.cfg.updatePeers(peers)
	c.mu.Unlock()
	if err != nil {
		// updatePools rules out what SetPools rejects; this is a bug.
		c.log.Error("failed to configure the allocator; keeping the previous pools", "err", err)
	}
	poolNames, peerNames := map[string]bool{}, map[string]bool{}
	var errs []error
	for _, o := range pools {
		poolNames[o.Name] = true
		errs = append(errs, c.writeValid(ctx, "ippools", o.Name, o.Generation, o.Status.Conditions, poolV[o.Name]))
	}
	for _, o := range peers {
		peerNames[o.Name] = true
		errs = append(errs, c.writeValid(ctx, "bgppeers", o.Name, o.Generation, o.Status.Conditions, peerV[o.Name]))
	}
	for _, o := range advs {
		v := checkAdvertisement(o, poolNames, peerNames)
		errs = append(errs, c.writeValid(ctx, "bgpadvertisements", o.Name, o.Generation, o.Status.Conditions, v))
	}
	for _, o := range l2advs {
		v := checkL2Advertisement(o, poolNames)
		errs = append(errs, c.writeValid(ctx, "l2advertisements", o.Name, o.Generation, o.Status.Conditions, v))
	}
	c.retryFailing()
	c.queue.Add(keyPoolStatus)
	return errors.Join(errs...)
}

// allocatorPools turns the effective pools into allocator pools. Call
// with c.mu held.
func (c *Controller) allocatorPools() []allocator.Pool {
	out := make([]allocator.Pool, 0, len(c.cfg.pools))
	for name, e := range c.cfg.pools {
		out = append(out, allocator.Pool{Name: name, Ranges: e.ranges, AutoAssign: e.autoAssign,
			AvoidBuggyIPs: e.avoidBuggy, Matches: c.matcher(e.svcSel, e.nsSel)})
	}
	return out
}

func (c *Controller) matcher(svcSel, nsSel labels.Selector) func(*allocator.Service) bool {
	if svcSel == nil && nsSel == nil {
		return nil
	}
	return func(s *allocator.Service) bool {
		if svcSel != nil && !svcSel.Matches(labels.Set(s.Labels)) {
			return false
		}
		if nsSel != nil {
			ns, err := c.namespaces.Get(s.Namespace)
			if err != nil || !nsSel.Matches(labels.Set(ns.Labels)) {
				return false
			}
		}
		return true
	}
}

// writeValid sets an object's Valid condition when it changed.
func (c *Controller) writeValid(ctx context.Context, resource, name string, gen int64, conds []metav1.Condition, v verdict) error {
	status := metav1.ConditionFalse
	if v.ok {
		status = metav1.ConditionTrue
	}
	want := metav1.Condition{Type: v1alpha1.ConditionValid, Status: status, Reason: v.reason, Message: v.message, ObservedGeneration: gen}
	if cur := meta.FindStatusCondition(conds, v1alpha1.ConditionValid); cur != nil && cur.Status == want.Status &&
		cur.Reason == want.Reason && cur.Message == want.Message && cur.ObservedGeneration == gen {
		return nil
	}
	next := append([]metav1.Condition(nil), conds...)
	meta.SetStatusCondition(&next, want)
	data, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": next}})
	if err != nil {
		return err
	}
	_, err = c.dyn.Resource(v1alpha1.GroupVersion.WithResource(resource)).Patch(ctx, name, types.MergePatchType, data,
		metav1.PatchOptions{FieldManager: "lblab-controller"}, "status")
	if err != nil {
		return fmt.Errorf("failed to write the Valid condition of %s %s: %w", resource, name, err)
	}
	if !v.ok {
		c.log.Warn("invalid configuration", "resource", resource, "name", name, "reason", v.reason, "message", v.message)
	}
	return nil
}

// syncPoolStatus writes every pool's address counts and updates the
// pool gauges.
func (c *Controller) syncPoolStatus(ctx context.Context) error {
	pools := c.listPools()
	type counts struct {
		v4, v6    int64
		av4, av6  string
		fv4, fv6  float64
		effective bool
	}
	c.mu.Lock()
	got := map[string]counts{}
	for _, o := range pools {
		st, ok := c.alloc.Stats(o.Name)
		if !ok {
			got[o.Name] = counts{}
			continue
		}
		a4, a6 := st.AvailableIPv4(), st.AvailableIPv6()
		got[o.Name] = counts{v4: st.UsedIPv4, v6: st.UsedIPv6, av4: a4.String(), av6: a6.String(),
			fv4: bigFloat(a4), fv6: bigFloat(a6), effective: true}
	}
	c.metrics.services.Set(float64(c.alloc.Len()))
	c.mu.Unlock()
	c.metrics.inUse.Reset()
	c.metrics.available.Reset()
	var errs []error
	for _, o := range pools {
		n := got[o.Name]
		if n.effective {
			c.metrics.inUse.WithLabelValues(o.Name, "ipv4").Set(float64(n.v4))
			c.metrics.inUse.WithLabelValues(o.Name, "ipv6").Set(float64(n.v6))
			c.metrics.available.WithLabelValues(o.Name, "ipv4").Set(n.fv4)
			c.metrics.available.WithLabelValues(o.Name, "ipv6").Set(n.fv6)
		}
		s := o.Status
		if s.AssignedIPv4 == n.v4 && s.AssignedIPv6 == n.v6 && s.AvailableIPv4 == n.av4 && s.AvailableIPv6 == n.av6 {
			continue
		}
		data, _ := json.Marshal(map[string]any{"status": map[string]any{
			"assignedIPv4": n.v4, "assignedIPv6": n.v6, "availableIPv4": nilIfEmpty(n.av4), "availableIPv6": nilIfEmpty(n.av6)}})
		_, err := c.dyn.Resource(v1alpha1.GroupVersion.WithResource("ippools")).Patch(ctx, o.Name, types.MergePatchType, data,
			metav1.PatchOptions{FieldManager: "lblab-controller"}, "status")
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to write the status of IPPool %s: %w", o.Name, err))
		}
	}
	return errors.Join(errs...)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
