// Package dataplane holds the typed readers of node data planes. Each
// subpackage parses one tool's real output into Go values and can answer
// one question for lblab's checks and `lblab inspect`: which endpoints does
// traffic to a LoadBalancer IP:port reach on this node?
//
//   - iptables: iptables-save -c (kube-proxy iptables mode);
//   - nftables: nft -j list ruleset (kube-proxy nftables mode);
//   - ipvs: IPVS virtual and real servers (netlink) and ipset list (kube-proxy ipvs mode);
//   - cilium: cilium-dbg bpf lb list -o json (Cilium kube-proxy replacement).
//
// The common result is a Frontend: the LB address and port, and the
// backends (DNAT targets, real servers, BPF backends) it leads to.
package dataplane
