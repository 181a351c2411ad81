// Package nftables parses `nft -j list ruleset` into tables, chains, rules
// and sets/maps with their elements, and follows kube-proxy's nftables-mode
// objects for a LoadBalancer IP: the `service-ips` map element (and
// `firewall-ips` for loadBalancerSourceRanges) leading to the external and
// service chains and the DNAT to every endpoint. Both shapes kube-proxy has
// used are understood: DNAT through a numgen map inside the service chain
// (v1.33 and later) and per-endpoint chains reached through a numgen vmap.
package nftables
