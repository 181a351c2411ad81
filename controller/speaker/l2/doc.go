// Package l2 is the layer-2 half of the speaker, like MetalLB's layer-2
// mode: on the node that owns a LoadBalancer IP, a Responder answers ARP
// requests (IPv4) and Neighbor Solicitations (IPv6) for it on one
// interface, so neighbours on the segment send that IP's traffic to this
// node's MAC. Which node owns an IP is decided elsewhere; a Responder is
// told the full owned set with Set and only answers for that set.
//
// # Kernel interplay
//
// The LoadBalancer IP is not configured on the interface. With kube-proxy
// in iptables or nftables mode it is on no interface at all: the kernel
// neither answers ARP/NDP for it nor would it be right to add it (every
// node would then answer). In ipvs mode kube-proxy puts every Service IP on
// the dummy kube-ipvs0; strictARP (arp_ignore=1, arp_announce=2) keeps the
// kernel from answering ARP for those on other interfaces, and the kernel
// answers NDP only for addresses of the receiving interface anyway. Either
// way the only answer comes from here. Addresses the interface itself
// carries are never answered (the kernel does), and InterfaceFor ignores
// host routes, so kube-ipvs0's /32s and /128s do not attract an IP.
//
// # ARP
//
// ARP is read and written on an AF_PACKET socket through
// github.com/mdlayher/arp, since no socket API lets user space answer ARP
// for an address the kernel does not have. A request from another MAC for
// an owned IP gets a unicast reply to the requester with the interface's
// MAC (broadcast and unicast requests alike: Linux re-validates entries
// with unicast requests). The package needs an IPv4 address on the
// interface to open; without one ARP is off.
//
// # NDP
//
// NDP messages are built and parsed by github.com/mdlayher/ndp. Answers go
// out of an ndp.Conn, a raw ICMPv6 socket bound to the interface's
// link-local address (their source), with hop limit 255. Solicitations
// come in on a second, AF_PACKET socket whose BPF filter passes only
// incoming ICMPv6 Neighbor Solicitations: an ICMPv6 socket would only see
// those sent to a multicast group, because the kernel hands a raw socket
// nothing addressed to a unicast IP it does not have, and Linux re-checks
// a STALE entry with solicitations sent unicast to the IP itself (the LB
// IP). Unanswered, those fail the entry after 3 s, in every reachable-time
// cycle with traffic; Linux then re-resolves by multicast at once, but
// other neighbours may drop traffic meanwhile (MetalLB has that gap:
// metallb/metallb#2920 reports seconds of loss every 30 minutes behind a
// switch). A solicitation with hop
// limit 255 for an owned IP is answered to its source with Solicited and
// Override set and a target link-layer address option; a duplicate address
// detection probe (source ::) is answered to all nodes without Solicited,
// as RFC 4861 says, which tells the prober the address is taken.
//
// Multicast solicitations go to the target's solicited-node group, which a
// NIC filters out unless someone joined it, so the Responder joins (on the
// ndp.Conn) the group of every owned IPv6, counted since several IPs can
// share one, and leaves it when the last goes. Without a link-local (IPv6
// off on the interface) NDP is off; a link-local still in duplicate
// address detection cannot be bound, so NewResponder retries for a few
// seconds.
//
// # Announcements
//
// When an IP becomes owned (a new Service, or a failover from another
// node) neighbours may cache the old owner's MAC for minutes. The Responder
// therefore announces it at once: a gratuitous ARP, sent both as a request
// and as a reply (sender IP = target IP = the LB IP, sender MAC ours,
// broadcast; Linux takes either as gratuitous and overrides even a fresh
// entry), or an unsolicited Neighbor Advertisement with Override to
// ff02::1. Announcements are datagrams that can be lost, and a switch may
// still be learning the port, so they are repeated (announceAt: 0, 200 ms,
// 1 s) while the IP stays owned. A removed IP is not answered from the
// next packet on; nothing is sent for it: the new owner's announcements
// correct the neighbours. Announce sends the same announcements for the
// IPs already owned, for an owner that was cut off from the segment while
// another node took them over in the neighbours' caches.
//
// # Namespaces
//
// NewResponder opens its sockets in the calling thread's network namespace
// (the speaker runs in the node's; tests lock a thread into a test
// namespace), after which Set and Run work from any goroutine. Go resolves
// IPv6 zones (fe80::1%eth0) through one process-wide name cache that knows
// nothing of namespaces, so the NDP socket is given the interface's index
// as its zone, never its name.
//
// # Errors
//
// Run returns an error when a socket fails for good (the interface was
// deleted, say); a down interface is waited out. The caller then makes a
// new Responder, with InterfaceFor if the interface may have changed.
package l2
