// Package cpvip is `lblab cp-speaker`, the announcer of a highly available
// control-plane VIP: every control-plane node announces the VIP (one IPv4
// and/or one IPv6 address, as a /32 and a /128) by BGP to the top-of-rack
// router while, and only while, its own kube-apiserver answers /readyz
// with 200. The TOR then spreads clients of the VIP over the ready API
// servers by ECMP, and stops sending them to one within about a second of
// its failing.
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
package cpvip
