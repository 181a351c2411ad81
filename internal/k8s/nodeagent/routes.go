package nodeagent

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// nodeView is what the agent knows of the Nodes: its own (for its pod
// CIDRs) and, through the lister, the others (for routes).
type nodeView struct {
	mu     sync.Mutex
	self   *corev1.Node
	lister corelisters.NodeLister
	kickc  chan struct{}
	once   sync.Once
}

func (v *nodeView) setSelf(n *corev1.Node) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.self = n
}

func (v *nodeView) setLister(l corelisters.NodeLister) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.lister = l
}

// all returns every Node known: all of them once they may be listed, else
// this node only.
func (v *nodeView) all() []*corev1.Node {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.lister != nil {
		if nodes, err := v.lister.List(everything); err == nil {
			return nodes
		}
	}
	if v.self != nil {
		return []*corev1.Node{v.self}
	}
	return nil
}

func (v *nodeView) get() *corev1.Node {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.self
}

func (v *nodeView) kicks() chan struct{} {
	v.once.Do(func() { v.kickc = make(chan struct{}, 1) })
	return v.kickc
}

// kick asks the routes loop to run again.
func (v *nodeView) kick() {
	select {
	case v.kicks() <- struct{}{}:
	default:
	}
}

// podCIDRs is this node's spec.podCIDRs.
func (v *nodeView) podCIDRs() []netip.Prefix {
	n := v.get()
	if n == nil {
		return nil
	}
	return nodePodCIDRs(n)
}

func nodePodCIDRs(n *corev1.Node) []netip.Prefix {
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	var out []netip.Prefix
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}

func (a *Agent) nodeChanged(o any) {
	if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = d.Obj
	}
	n, ok := o.(*corev1.Node)
	if !ok {
		return
	}
	if n.Name == a.cfg.Node {
		before := a.nodes.podCIDRs()
		a.nodes.setSelf(n)
		if !slices.Equal(before, a.nodes.podCIDRs()) {
			a.log.Info("pod CIDRs assigned", "podCIDRs", n.Spec.PodCIDRs)
			a.enqueueAll()
			a.kickNodeStatus()
		}
	}
	a.nodes.kick()
}

// routesFor returns the routes to every other node's pod CIDRs, each via
// that node's InternalIP of the same family.
func routesFor(self string, nodes []*corev1.Node) []Route {
	var out []Route
	for _, n := range nodes {
		if n.Name == self || n.DeletionTimestamp != nil {
			continue
		}
		for _, cidr := range nodePodCIDRs(n) {
			if via, ok := internalIP(n, cidr.Addr().Is4()); ok {
				out = append(out, Route{Dst: cidr, Via: via})
			}
		}
	}
	slices.SortFunc(out, func(x, y Route) int { return x.Dst.Addr().Compare(y.Dst.Addr()) })
	return out
}

func internalIP(n *corev1.Node, v4 bool) (netip.Addr, bool) {
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Is4() == v4 {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// routesResync is how often routes and masquerading are rewritten even
// when no Node changed.
const routesResync = 30 * time.Second

// routesLoop keeps the node's routes and masquerading in line with the
// Nodes, retrying on failure.
func (a *Agent) routesLoop(ctx context.Context) {
	var lastRoutes []Route
	var lastOwn, lastCluster []netip.Prefix
	synced := false
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	// Now and then, rewrite everything: someone may have flushed a route
	// or the nft table (verify's scenarios break things on purpose).
	resync := time.NewTicker(routesResync)
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.nodes.kicks():
		case <-retry.C:
		case <-resync.C:
			synced = false
		}
		nodes := a.nodes.all()
		routes := routesFor(a.cfg.Node, nodes)
		own := a.nodes.podCIDRs()
		var cluster []netip.Prefix
		for _, n := range nodes {
			cluster = append(cluster, nodePodCIDRs(n)...)
		}
		slices.SortFunc(cluster, func(x, y netip.Prefix) int { return x.Addr().Compare(y.Addr()) })
		var failed bool
		if !synced || !slices.Equal(routes, lastRoutes) {
			if err := a.net.SyncRoutes(routes); err != nil {
				a.log.Error("failed to sync routes to other nodes' pod CIDRs", "err", err)
				failed = true
			} else {
				if !slices.Equal(routes, lastRoutes) {
					a.log.Info("routes to pod CIDRs", "routes", len(routes))
				}
				lastRoutes = routes
			}
		}
		if !synced || !slices.Equal(own, lastOwn) || !slices.Equal(cluster, lastCluster) {
			if err := a.net.SyncMasquerade(own, cluster); err != nil {
				a.log.Error("failed to sync pod egress masquerading", "err", err)
				failed = true
			} else {
				lastOwn, lastCluster = own, cluster
			}
		}
		synced = !failed
		if failed {
			retry.Reset(time.Second)
		}
	}
}
