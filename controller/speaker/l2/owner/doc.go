// Package owner chooses, in L2 mode, the one node that answers ARP/NDP for
// each LoadBalancer IP. Every speaker computes the same answer on its own,
// with no round trip per Service, and a stopped speaker loses its IPs
// within the 2 s failover target.
//
// # Design
//
// Two parts, each simple on its own:
//
//  1. Liveness: each speaker renews a coordination.k8s.io/v1 Lease of its
//     own (Heartbeat), lblab-speaker-<node> in lblab-node-lease, every
//     RenewInterval, like the kubelet's node leases but on an L2 failover
//     time scale. Every speaker watches all of them (Membership) and counts
//     a node live while renewTime + LeaseDuration + SkewAllowance is in the
//     future. A dead speaker sends no event, so the Membership also sets a
//     timer for the earliest expiry. The state is visible with standard
//     tools: `kubectl get leases -n lblab-node-lease` lists the speakers and
//     their holder, and -o yaml shows renewTime and acquireTime (when the
//     speaker last started heartbeating).
//  2. Ownership: Owner is rendezvous (highest-random-weight) hashing over
//     the candidates, the nodes both live and eligible for the Service
//     (the caller decides eligibility: node selector, and a ready local
//     endpoint for externalTrafficPolicy Local). Same inputs, same owner on
//     every speaker; a node leaving moves only the IPs it owned, and a node
//     joining takes IPs only for itself.
//
// Rejected: Kubernetes leader election per Service (one Lease, and its
// writes, per Service and a round trip before an IP can move) or one
// leader assigning IPs (a second failover in the path); a gossip mesh like
// MetalLB's memberlist (an extra port and protocol, and its state is not
// visible with kubectl).
//
// The score is FNV-1a-64 of node + "\x00" + ip.String(), put through
// MurmurHash3's 64-bit finalizer; the highest wins, the smaller name on a
// tie. hash/fnv is the same in every process and version (hash/maphash is
// not). The finalizer is needed: bare FNV-1a hardly mixes the IP's last
// characters into the top bits: on 10,000 consecutive IPs and 5 nodes it
// gave shares from 14% to 30% (IPv4) and 5% to 37% (IPv6); mixed, every
// share is within 20% ± 1.1% (TestBalance). The score is a protocol between speakers: a change makes speakers
// of two versions disagree during an upgrade.
//
// # Timing
//
// A speaker that stops renewing (crashed, or frozen by SIGSTOP with its
// connections open) is dropped LeaseDuration + SkewAllowance after its
// last renewal, so between D+S-R and D+S after it stops. The defaults
// (D 1.5 s, R 500 ms, S 250 ms) give 1.25 to 1.75 s; measured with
// BenchmarkFailoverDetection (fake API server, real timers, stops at
// random points of the cycle, two runs of 10 on a busy 2-CPU host): mean
// 1.51 and 1.58 s, worst 1.72 s. Then the new
// owner sends gratuitous ARP/unsolicited NA, within milliseconds. A 2 s
// lease would not do: 2 s + S is already past the target. D/R = 3 lets
// two renewals be lost or late. A speaker that stops cleanly calls
// Heartbeat.Release and is dropped at once.
//
// The cost is 1/R Lease writes per node per second, each seen by every
// speaker: N²/R events per second. Fine for lab clusters; for large ones,
// raise D and R.
//
// # Clocks
//
// renewTime comes from the renewing node's clock and is compared with the
// local one. In a lab every node shares the host's clock. Elsewhere the
// clocks must agree within SkewAllowance: a node whose clock is ahead
// looks live that much longer after it stops, and one behind by more than
// D + S - R (1.25 s by default, less the API server's latency) flaps.
//
// # Partitions
//
// If this speaker loses the API server, its Membership sees no renewal
// from anyone, its own included, and would expire every node, each
// speaker claiming every IP. So when no renewal at all was seen for
// StaleAfter, the view stops ageing and keeps the live set it had
// (Stale reports it). StaleAfter (default D - R) must be shorter than
// D + S - R: the lease renewed just before the last one seen expires that
// much after it, and must not be dropped before the guard takes hold. A
// timer that fires late is still evaluated at the moment the view went
// stale, so expiries before it still count. When renewals come back (a
// watch relist delivers the Leases one by one), removals are held for
// StaleAfter more, so a node is not dropped only because its renewal was
// not yet delivered. The price: during a partition the cut-off speaker
// keeps answering for its IPs while the others, seeing it dead, move them,
// so two nodes may answer until it heals (MetalLB's memberlist has the
// same split). A speaker that wants to fence itself can stop answering
// when Heartbeat.LastRenewed is older than LeaseDuration.
//
// A speaker must not answer before Membership.HasSynced: until the Leases
// are listed it would see only itself. A speaker frozen and resumed renews
// at once and takes its IPs back; its own view is stale (no renewal seen
// while frozen) and so is kept until the backlog of events arrives.
//
// # RBAC
//
// The speaker's ServiceAccount needs, in namespace lblab-node-lease (a namespace
// of their own, so that they cannot write the controller's leader-election
// Lease in lblab-system), on
// coordination.k8s.io leases: get, list, watch, create, update.
//
// # Usage
//
//	cfg := owner.Config{Log: log}
//	hb := owner.NewHeartbeat(client, node, cfg)
//	go hb.Run(ctx)
//	defer hb.Release(context.Background()) // clean stop: hand over at once
//	m := owner.NewMembership(client, cfg, func([]string) { requeueAll() })
//	go m.Run(ctx)
//	// per Service, once m.HasSynced():
//	candidates := eligibleNodes(svc, m.Live())
//	if n, ok := owner.Owner(ip, candidates); ok && n == node {
//		// answer ARP/NDP for ip
//	}
package owner
