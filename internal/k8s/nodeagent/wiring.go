package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// wiring is who gives pods their IPs and the node its routes: the agent
// itself (ownWiring: its IPAM on the node's pod CIDRs, Network.Setup,
// routes to the other nodes' pod CIDRs and masquerading), or a CNI plugin
// (pluginWiring: PluginNetwork.Attach, with the plugin's own IPAM and
// routing). Both tear a pod's namespace and veth down with
// Network.Teardown; wiring is only where they differ.
type wiring interface {
	// connect gives the pod its IPs and wires its namespace.
	connect(pod *corev1.Pod, st *podState) error
	// release frees what connect took besides the namespace and veth.
	release(st *podState) error
	// releaseOrphans frees what pods not in owners (UIDs) still hold, after
	// a restart.
	releaseOrphans(owners map[string]bool) error
	// needsPodCIDRs says whether pods wait for the node's spec.podCIDRs.
	needsPodCIDRs() bool
	// run keeps the node's routes and masquerading until ctx ends.
	run(ctx context.Context)
}

// newWiring returns the plugin's wiring when the network is a
// PluginNetwork (CNI mode), else the agent's own.
func newWiring(a *Agent, n Network) wiring {
	if pn, ok := n.(PluginNetwork); ok {
		return pluginWiring{a: a, pn: pn}
	}
	return ownWiring{a: a}
}

// ownWiring: the agent allocates from the node's pod CIDRs and routes.
type ownWiring struct{ a *Agent }

func (w ownWiring) connect(pod *corev1.Pod, st *podState) error {
	a := w.a
	cidrs := a.nodes.podCIDRs()
	if len(cidrs) == 0 {
		return fmt.Errorf("waiting for the node's pod CIDR (spec.podCIDRs is not set yet)")
	}
	ips, err := a.ipam.Allocate(string(pod.UID), cidrs)
	if err != nil {
		return err
	}
	st.IPs = ips
	st.Gateways = nil
	for _, c := range cidrs {
		st.Gateways = append(st.Gateways, gateway(c))
	}
	if err := st.save(); err != nil {
		return err
	}
	start := time.Now()
	if err := a.net.Setup(st.network()); err != nil {
		return err
	}
	a.log.Info("pod network ready", "pod", podKey(pod.Namespace, pod.Name), "netns", st.Netns,
		"ips", st.IPs, "took", time.Since(start).Round(time.Microsecond))
	return nil
}

func (w ownWiring) release(st *podState) error { return w.a.ipam.Release(string(st.UID)) }

func (w ownWiring) releaseOrphans(owners map[string]bool) error {
	held, err := w.a.ipam.Owners()
	if err != nil {
		return err
	}
	var errs []error
	for ip, owner := range held {
		if !owners[owner] {
			w.a.log.Info("releasing an IP whose pod is gone", "ip", ip)
			errs = append(errs, w.a.ipam.Release(owner))
		}
	}
	return errors.Join(errs...)
}

func (ownWiring) needsPodCIDRs() bool { return true }

func (w ownWiring) run(ctx context.Context) { w.a.routesLoop(ctx) }

// pluginWiring: a CNI plugin assigns the IPs and owns pod routing.
type pluginWiring struct {
	a  *Agent
	pn PluginNetwork
}

// connect has the plugin wire the pod's namespace and records the IPs it
// assigned, the node's primary family first, so pod status reports them
// as it reports the agent's own.
func (w pluginWiring) connect(pod *corev1.Pod, st *podState) error {
	start := time.Now()
	got, err := w.pn.Attach(st.network())
	if err != nil {
		return err
	}
	st.IPs = orderPodIPs(got.IPs, w.a.cfg.NodeIPs[0].Is4())
	st.Gateways = got.Gateways
	if got.HostVeth != "" {
		st.HostVeth = got.HostVeth
	}
	if err := st.save(); err != nil {
		return err
	}
	w.a.log.Info("pod network ready", "pod", podKey(pod.Namespace, pod.Name), "netns", st.Netns,
		"ips", st.IPs, "by", "cni", "took", time.Since(start).Round(time.Microsecond))
	return nil
}

// release: the plugin's IPAM freed the addresses on DEL (Teardown).
func (pluginWiring) release(*podState) error { return nil }

// releaseOrphans: Teardown of an orphaned attachment freed its addresses.
func (pluginWiring) releaseOrphans(map[string]bool) error { return nil }

// needsPodCIDRs: the plugin's IPAM chooses the addresses.
func (pluginWiring) needsPodCIDRs() bool { return false }

func (w pluginWiring) run(context.Context) {
	w.a.log.Info("pod networks come from CNI plugins: no routes to pod CIDRs or masquerading of the agent's own")
}
