// Package kubeproxy renders the KubeProxyConfiguration of one lab node:
// the data-plane mode (iptables, nftables; ipvs where the kernel has it),
// the node's name and addresses, the cluster's pod CIDRs, and the conntrack
// settings a network namespace needs (nf_conntrack_max is read-only there,
// so conntrack.maxPerCore is 0: leave it alone).
//
// The rendering uses the upstream v1alpha1 types, so field names are
// checked at compile time, and is compared with golden files per mode.
package kubeproxy
