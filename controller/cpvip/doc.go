// Package cpvip is `lblab cp-speaker`, the announcer of a highly available
// control-plane VIP. In BGP mode (the default) every control-plane node
// announces the VIP (one IPv4 and/or one IPv6 address, as a /32 and a
// /128) by BGP to the top-of-rack router while, and only while, its own
// kube-apiserver answers /readyz with 200. The TOR then spreads clients of
// the VIP over the ready API servers by ECMP, and stops sending them to
// one within about a second of its failing. In L2 mode (below) one ready
// node answers ARP and NDP for the VIP instead, as keepalived does.
//
// It is a process of its own, not a part of the node's LoadBalancer
// speaker (package speaker):
//   - it must run while the Kubernetes API is down, which is exactly when
//     it matters; so it never reads the API: its whole configuration is
//     static, from flags (Config), and its only input is the probe;
//   - it peers from an address of its own (--source, a secondary address
//     of the node), because the TOR tells its neighbours apart by their
//     address: the node's LB speaker keeps its own session from the
//     primary address, and either can restart without touching the other.
//
// The BGP session stays up whatever the probe says; only the route comes
// and goes (an UPDATE with the VIP, then one that withdraws it), so the
// TOR reacts at once instead of after a hold timer or a reconnect.
//
// Readiness is gated by counts, as HAProxy and keepalived do: the VIPs
// start withdrawn, are announced after Rise consecutive ready probes and
// withdrawn after Fall consecutive failed ones (both 2 by default, every
// 200ms). A single slow or refused probe (a GC pause, a busy etcd) does
// not move the VIP, and a flapping kube-apiserver does not make the TOR
// rehash every client on every flap: each change of the ECMP set moves
// connections, long-lived watches included. The gate (gate.go) is pure
// state, probe results in and decisions out; the probe (probe.go) and the
// BGP calls (run.go) are around it. A kube-apiserver that is shutting down
// fails /readyz first (--shutdown-delay-duration), so the VIP leaves
// before the server does. /readyz must be readable without credentials,
// as Kubernetes allows by default (system:public-info-viewer).
//
// It embeds the same GoBGP as the LB speaker (package bgp) and serves
// GoBGP's gRPC API on --gobgp-api (127.0.0.1:50052, beside the LB
// speaker's 50051), so the standard gobgp v4 CLI shows its state:
//
//	gobgp -p 50052 neighbor                  # the TOR sessions: Established whether ready or not
//	gobgp -p 50052 global rib -a ipv4        # the VIP /32, only while kube-apiserver is ready
//	gobgp -p 50052 neighbor 10.89.1.1 adj-out
//
// and its log says each transition with its reason:
//
//	kube-apiserver ready: announcing 10.89.0.100/32, fd00:89::100/128
//	kube-apiserver not ready (HTTP 500: [-]etcd failed: reason withheld): withdrawing 10.89.0.100/32, fd00:89::100/128
//
// On SIGTERM it withdraws the VIPs and stops GoBGP, which closes the
// sessions with a CEASE.
//
// # L2 mode
//
// With --mode l2 there is no BGP: the node that owns the VIPs answers ARP
// (IPv4) and Neighbor Solicitations (IPv6) for them on the segment, through
// an l2.Responder (package speaker/l2), so every neighbour sends the VIPs'
// traffic to its MAC. One node takes all the VIPs, as one keepalived VRRP
// instance would: the IPv4 and the IPv6 VIP lead to the same API server.
//
// Who owns them cannot be a Lease: the Kubernetes API may be down, which is
// exactly when the VIP matters. Instead every speaker probes every
// control-plane node's /readyz (its own at --readyz, the others' at
// --member NAME=URL), gates each node as above, and computes the owner from
// the ready nodes' names alone (Owner). The speakers see the same probes,
// so they agree on one owner without talking to each other. A node cut off
// from the others sees them fail and thinks it owns the VIPs; that is
// harmless while it cannot reach the segment either, and when it sees them
// again it announces the VIPs again (below), since the neighbours may have
// followed an interim owner meanwhile.
//
// Owner is rendezvous (highest random weight) hashing: each ready name gets
// a score from the VIPs and the name, and the highest wins. A node's score
// does not depend on the others, so the VIPs move only when their owner
// stops being ready (after --fall failed probes), and move back once it is
// ready again (after --rise): a node that comes or goes other than the
// owner moves nothing.
//
// The owner announces the VIPs (a gratuitous ARP, an unsolicited Neighbor
// Advertisement; repeated within a second) when it takes them over, and
// again whenever the set of ready nodes changes while it keeps them; the
// other nodes stop answering at once and send nothing. The VIPs are on lo
// of every control-plane node, so that each accepts the traffic it gets;
// arp_ignore=1 and arp_announce=2 (which the lab sets) keep the kernel
// from answering ARP for them on eth0, or using them as ARP sources, and
// the kernel never answers NDP for an address of another interface. So the
// only answers come from the owner's speaker.
//
// To see it: `ip neigh` on the TOR (the VIPs at the owner's MAC),
// `arping -I eth0 10.89.0.240` or `ndisc6 fd00:89::f0 eth0` from the
// segment (one answer, the owner's), and the speaker's log, here
// control-plane2's while control-plane3, the owner, fails:
//
//	VIP owner: control-plane3 (ready: control-plane, control-plane2, control-plane3): not answering
//	control-plane3's kube-apiserver not ready (no answer within 500ms)
//	VIP owner: control-plane2 (ready: control-plane, control-plane2): answering ARP/NDP for 10.89.0.240, fd00:89::f0
package cpvip
