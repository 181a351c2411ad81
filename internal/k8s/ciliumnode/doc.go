// Package ciliumnode runs Cilium's agent as one node of a netns lab, on a
// kernel that other nodes (and the machine itself) share.
//
// A kind node is a container: network, mount and cgroup namespaces on the
// host's kernel. A netns node has only its network namespace, so
// `lblab cilium-node` gives the agent the rest before it execs it
// (Confine):
//
//   - a private mount namespace (slave to the host's, so pod namespaces
//     that the node agent pins later still appear);
//   - a sysfs of the node's network namespace, and on it a bpffs instance
//     of its own at /sys/fs/bpf: pinned maps and programs cannot collide
//     with another node's, and the kernel frees them all when the agent
//     exits;
//   - a tmpfs on /run with the node's run directory at /run/cilium, where
//     Cilium's hard-coded sockets live;
//   - the node's cgroup v2 subtree bound at /run/cilium/cgroupv2, the
//     agent's --cgroup-root. With kube-proxy replacement Cilium always
//     attaches its socket load balancer there, and it must reach exactly
//     this node's pods (the node agent starts them in that subtree), never
//     the machine's root cgroup;
//   - /proc/sys/kernel read-only: the agent writes host-wide sysctls there
//     (kernel.unprivileged_bpf_disabled cannot be undone until a reboot)
//     and only warns when it cannot.
//
// Args renders the agent's command line (native routing between the nodes
// on the fabric, kube-proxy replacement, IPAM from the nodes' podCIDRs, no
// operator: cilium-operator cannot be built here), and RBAC the
// ServiceAccount and roles of Cilium's Helm chart for the agent. Why each
// choice was made, with the evidence, is in docs/cilium-netns.md.
package ciliumnode
