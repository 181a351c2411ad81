// Package allocator hands out LoadBalancer addresses from IP pools. It is
// plain state with no Kubernetes client: the reconciler converts Services
// and IPPools into the types here and evaluates label selectors itself (a
// Pool carries them as a predicate).
//
// Design:
//   - A pool is a list of ranges (CIDRs and a-b ranges, IPv4 and IPv6).
//     Each range hands out addresses in order from a cursor and keeps the
//     addresses released below the cursor in a min-heap, so an allocation
//     costs O(log n) in the number of releases and never scans the pool:
//     a /64 costs the same as a /24. Addresses taken out of order
//     (requested ones, restored ones) are skipped when the cursor reaches
//     them, once.
//   - Every address in use has a lease listing the Services using it.
//     Several Services share one address only when they all carry the
//     same sharing key, their (protocol, port) pairs do not collide, and
//     their traffic policies agree: Services with externalTrafficPolicy
//     Cluster share freely; a Service with Local shares only with other
//     Local Services with the same pod selector, because the speakers
//     announce a Local Service's address only from nodes with its
//     endpoints, and two Services with different endpoints would need two
//     different sets of next hops for one address. (MetalLB's rule.)
//   - A dual-stack Service gets one address per family in
//     Service.Families, from one pool. PreferDualStack degrades to the
//     first family a pool can give when no pool can give all of them, and
//     later adds the missing family only from the pool it already uses;
//     RequireDualStack and SingleStack do not degrade.
//   - Assign records addresses a Service already holds (from its status,
//     when the controller restarts) without checking pool membership or
//     autoAssign, so a restart never moves an address; it fails only when
//     two Services claim one address incompatibly.
//   - SetPools replaces the pool configuration. Addresses outside every
//     pool stay assigned (orphans) until their Service lets go of them.
//
// An Allocator is not safe for concurrent use; the reconciler locks it.
package allocator
