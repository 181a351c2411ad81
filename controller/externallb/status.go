package externallb

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ingress returns the status.loadBalancer.ingress of ips. ipMode Proxy:
// traffic for the LB IP has to go through the lb host (HAProxy's health
// checks pick the nodes, and the nodes do not own the IP). With the
// default VIP mode, kube-proxy on every node would also capture the LB
// IP and short-circuit in-cluster clients straight to the endpoints,
// bypassing the load balancer this lab is about.
func ingress(ips []netip.Addr) []corev1.LoadBalancerIngress {
	out := make([]corev1.LoadBalancerIngress, 0, len(ips))
	proxy := corev1.LoadBalancerIPModeProxy
	for _, ip := range ips {
		out = append(out, corev1.LoadBalancerIngress{IP: ip.String(), IPMode: &proxy})
	}
	return out
}

// writeStatus makes status.loadBalancer.ingress hold exactly ips (release:
// keep only the entries that are not this controller's, outside every
// pool). It writes nothing when the status is already right, and returns
// the Service as it is now.
func (c *Controller) writeStatus(ctx context.Context, svc *corev1.Service, ips []netip.Addr, release bool) (*corev1.Service, error) {
	want := ingress(ips)
	if release {
		want = want[:0]
		for _, in := range svc.Status.LoadBalancer.Ingress {
			ip, err := netip.ParseAddr(in.IP)
			if err != nil || !(&allocator{pools: c.opts.Pools}).inPool(ip.Unmap()) {
				want = append(want, in)
			}
		}
	}
	if equalIngress(svc.Status.LoadBalancer.Ingress, want) {
		return svc, nil
	}
	var list any = want
	if len(want) == 0 {
		list = nil // a merge patch's null removes the field
	}
	// With the resourceVersion: a write from a stale cache gets a
	// conflict (and the sync is retried) instead of overwriting entries
	// another writer added since.
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": svc.ResourceVersion},
		"status":   map[string]any{"loadBalancer": map[string]any{"ingress": list}},
	})
	if err != nil {
		return nil, err
	}
	out, err := c.client.CoreV1().Services(svc.Namespace).Patch(ctx, svc.Name, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: Component}, "status")
	if err != nil {
		return nil, fmt.Errorf("failed to write the status of Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	c.written[svc.UID] = out.ResourceVersion
	c.log.Info("wrote status", "service", svc.Namespace+"/"+svc.Name, "ingress", joinAddrs(ips), "release", release)
	return out, nil
}

func equalIngress(a, b []corev1.LoadBalancerIngress) bool {
	return slices.EqualFunc(a, b, func(x, y corev1.LoadBalancerIngress) bool {
		return x.IP == y.IP && x.Hostname == y.Hostname && len(x.Ports) == 0 && len(y.Ports) == 0 &&
			(x.IPMode == nil) == (y.IPMode == nil) && (x.IPMode == nil || *x.IPMode == *y.IPMode)
	})
}

// setFinalizer adds or removes Finalizer with a merge patch that carries
// the resourceVersion, so another writer's finalizers are never lost (a
// conflict is retried from a fresher cache).
func (c *Controller) setFinalizer(ctx context.Context, svc *corev1.Service, add bool) (*corev1.Service, error) {
	fins := slices.DeleteFunc(slices.Clone(svc.Finalizers), func(f string) bool { return f == Finalizer })
	if add {
		fins = append(fins, Finalizer)
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"finalizers": fins, "resourceVersion": svc.ResourceVersion}})
	if err != nil {
		return nil, err
	}
	out, err := c.client.CoreV1().Services(svc.Namespace).Patch(ctx, svc.Name, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: Component})
	if err != nil {
		verb := "remove"
		if add {
			verb = "add"
		}
		return nil, fmt.Errorf("failed to %s finalizer %s on Service %s/%s: %w", verb, Finalizer, svc.Namespace, svc.Name, err)
	}
	c.written[svc.UID] = out.ResourceVersion
	return out, nil
}
