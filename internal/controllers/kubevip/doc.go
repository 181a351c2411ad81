// Package kubevip runs kube-vip as a lab's LoadBalancer controller
// (`lblab up --controller kube-vip`): kube-vip in services mode with BGP
// on every node announces the LoadBalancer IPs that kube-vip-cloud-provider
// allocates from the topology's pools, so that `lblab verify` judges it by
// the same checks as the bundled controller and MetalLB.
//
// What comes from upstream, at pinned versions (components.KubeVIPVersion
// and components.KubeVIPCloudProviderVersion): both binaries, built from
// the Go module proxy and cached like the Kubernetes components; kube-vip's
// ServiceAccount and RBAC as its own binary prints them (`kube-vip
// manifest rbac`: kube-vip ships no RBAC file), and the cloud provider's
// from manifest/kube-vip-cloud-controller.yaml in its module. Each process
// runs with a token of its own ServiceAccount.
//
// What lblab writes (Config): the cloud provider's ConfigMap kube-system/
// kubevip with the pools' IPv4 ranges as range-global, and kube-vip's
// environment: services on, BGP on, the node's address as router ID, the
// topology's ASNs and timers, the TOR as peer, the VIPs on lo, no ARP, no
// leader election (every node with a ready endpoint announces: ECMP).
//
// Limits, stated rather than hidden: IPv4 only (not tried with IPv6), no
// BFD, no L2 (kube-vip's ARP mode elects a leader per Service: not tried);
// pools with autoAssign: false and per-Service pool choice have no
// equivalent (kube-vip-cloud-provider chooses by namespace), so such pools
// are left out; and kube-vip v1.0.0 does not honour the
// node.kubernetes.io/exclude-from-external-load-balancers label, which
// verify reports as a finding.
package kubevip
