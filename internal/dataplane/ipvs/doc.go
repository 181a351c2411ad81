// Package ipvs reads kube-proxy's ipvs mode: IPVS virtual servers and their
// real servers with scheduler, forwarding method and counters (read through
// netlink with github.com/moby/ipvs, the library kube-proxy itself uses),
// and the KUBE-LOAD-BALANCER ipset (parsed from `ipset list`).
//
// lblab reads IPVS inside a node by running its own binary there
// (`lblab probe ipvs`, hidden), which prints a Dump as JSON; the netns and
// kind backends run it through the same lab.Node command interface. A
// kernel without IP_VS yields a Dump that says so instead of an error.
package ipvs
