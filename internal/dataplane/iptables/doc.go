// Package iptables parses `iptables-save -c` / `ip6tables-save -c` into
// tables, chains and rules with their counters, and follows kube-proxy's
// chains for a LoadBalancer IP: the KUBE-SERVICES rule, then KUBE-FW
// (loadBalancerSourceRanges), KUBE-EXT, KUBE-SVC or KUBE-SVL, and the
// KUBE-SEP chains with their DNAT targets and probabilities.
package iptables
