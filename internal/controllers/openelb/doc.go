// Package openelb runs OpenELB as a lab's LoadBalancer controller (`lblab
// up --controller openelb`): an OpenELB manager on every node, each one
// allocating LoadBalancer IPs from the topology's pools (Eips) and
// announcing them from its embedded GoBGP to the TOR, so that `lblab
// verify` judges it by the same checks as the bundled controller, MetalLB
// and kube-vip.
//
// What comes from upstream, at a pinned version
// (components.OpenELBVersion): the manager binary, built from the Go module
// proxy and cached like the Kubernetes components; the CRDs
// (config/crd/bases) and the namespace, ServiceAccounts and RBAC of
// deploy/openelb.yaml, read from OpenELB's module in the Go module cache.
// The manager runs with a token of its own ServiceAccount
// (openelb-admission, as its Deployment does).
//
// What lblab writes (Config): an Eip per topology pool (protocol bgp), the
// BgpConf "default" (the controller's ASN, no BGP listener: the manager
// dials the TOR; the router ID is each node's InternalIP, OpenELB's
// default) and a BgpPeer for the TOR with the topology's ASN and timers.
// OpenELB serves only Services that carry its annotations (Annotations);
// lblab's workloads and verify's temporary Services carry them.
//
// Upstream's Deployment runs one manager (OpenELB's documentation scales
// it to several nodes for ECMP and failover); lblab runs one on every
// node, like a speaker. Its webhook cannot be turned off: each manager
// serves it on WebhookPort with a self-signed certificate in a temporary
// directory of its own, and no webhook configuration points at it.
//
// Limits, stated rather than hidden: IPv4 only (not tried with IPv6), BGP
// only (its layer2 mode: not tried), no BFD (its GoBGP has none), one
// address range per pool (a Service names one Eip).
package openelb
