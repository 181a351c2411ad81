// Package nodeagent is the netns backend's stand-in for the kubelet: one
// process per node namespace (`lblab node-agent`) that
//
//   - registers the Node (addresses, capacity, labels, taints, nodeInfo,
//     conditions) and keeps it healthy with Lease heartbeats in
//     kube-node-lease, as the kubelet does, under the node's own identity
//     (system:node:<name>, checked by the Node authorizer and NodeRestriction);
//   - wires pod networking the way kindnet and the ptp CNI plugin do: a named
//     network namespace per pod (<lab>_pod-<pod UID>, so `lblab down` deletes
//     it with the lab), a veth whose pod end is eth0 with IPs from the Node's
//     spec.podCIDRs and whose node end (veth<11 hex of the UID>, its alias
//     naming the namespace) holds the gateway, host routes to each pod IP,
//     routes to every other Node's podCIDRs via that Node's InternalIP, and a
//     masquerade of pod egress leaving the cluster (see MasqTable);
//   - or, in CNI mode (--cni-conf), leaves pod networking to the CNI plugins
//     of a network configuration list, as a kubelet's runtime does for
//     Cilium: it creates the pod's namespace, runs ADD through libcni with
//     the pod's K8S_* arguments and reports the IPs the plugins assigned
//     (the node's primary family first), runs DEL before deleting the
//     namespace, and has no IPAM, routes or masquerading of its own
//     (NewCNINetwork, a PluginNetwork);
//   - runs pods whose containers all use an nginx image as the distribution's
//     nginx, one process per container, unprivileged, with its config, logs,
//     pid and temp files under the run dir, and started straight into the
//     cgroup v2 directory --pod-cgroup when given (where Cilium's socket-LB
//     programs see it); any other image stays Waiting with reason
//     ImageUnsupported;
//   - reports true pod status (IPs, phase, container states, conditions with
//     Ready only once nginx accepts connections), restarts crashed containers
//     per restartPolicy with back-off, and finalizes deletions like the kubelet.
//
// The agent keeps what it must remember across restarts under the run dir
// (IP allocations, one state.json per pod; in CNI mode libcni's cache),
// adopts pods that are still running when it starts, and exits on SIGTERM
// without stopping them.
//
// The network and the processes sit behind two small interfaces, Network
// and Runtime, so the pod lifecycle is unit-tested against a fake clientset
// with recording fakes; the real implementations (netlink, CNI with the
// reference plugins, nginx, the pod cgroup) have integration tests of their
// own. Where the two pod networks differ (who allocates IPs, whether pods
// wait for a pod CIDR, who routes and masquerades), the agent asks its
// wiring, chosen once from the Network: its own, or the plugin's.
//
// Run dir layout:
//
//	<run-dir>/ipam/<ip>                              allocated pod IPs (content: pod UID)
//	<run-dir>/cni/results/<network>-<uid>-eth0       CNI mode: libcni's cache of each ADD (--cni-cache-dir)
//	<run-dir>/pods/<namespace>_<pod>/state.json      what the agent knows about the pod
//	<run-dir>/pods/<namespace>_<pod>/<container>.conf  generated nginx config
//	<run-dir>/pods/<namespace>_<pod>/<container>.log   nginx's stderr and error log
//	<run-dir>/pods/<namespace>_<pod>/access.log        access log, "$remote_addr - …" (combined format)
//	<run-dir>/pods/<namespace>_<pod>/nginx/            nginx's pid and temp files (owned by www-data)
//
// The access log's path is also written to the pod's annotation
// lblab.dev/access-log, so checks need not know the rule.
package nodeagent
