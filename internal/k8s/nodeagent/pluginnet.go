package nodeagent

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// plugin returns the network when a plugin assigns pod IPs and owns pod
// routing (CNI mode), else nil: the agent then does both itself.
func (a *Agent) plugin() PluginNetwork {
	p, _ := a.net.(PluginNetwork)
	return p
}

// attachNetwork has the plugin wire the pod's namespace and records the
// IPs it assigned, the node's primary family first, so pod status reports
// them as it reports the agent's own.
func (a *Agent) attachNetwork(pn PluginNetwork, pod *corev1.Pod, st *podState) error {
	start := time.Now()
	got, err := pn.Attach(st.network())
	if err != nil {
		return err
	}
	st.IPs = orderPodIPs(got.IPs, a.cfg.NodeIPs[0].Is4())
	st.Gateways = got.Gateways
	if got.HostVeth != "" {
		st.HostVeth = got.HostVeth
	}
	if err := st.save(); err != nil {
		return err
	}
	a.log.Info("pod network ready", "pod", podKey(pod.Namespace, pod.Name), "netns", st.Netns,
		"ips", st.IPs, "by", "cni", "took", time.Since(start).Round(time.Microsecond))
	st.networkReady, st.netErr = true, ""
	return nil
}
