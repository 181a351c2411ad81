// Package controller is the bundled LoadBalancer controller, run as
// `lblab controller`: one per cluster, leader-elected through a Lease in
// lblab-system.
//
// It watches Services, Namespaces (for pool namespace selectors), IPPools,
// BGPPeers and BGPAdvertisements. For every Service of type LoadBalancer
// whose spec.loadBalancerClass is lblab.dev/lb (or unset, unless
// --handle-classless=false) it allocates addresses with the allocator
// package and writes status.loadBalancer.ingress (one entry per family)
// and the lblab.dev/allocated-from-pool annotation in a single patch of
// the status subresource; it records IPAllocated, AllocationFailed and
// IPReleased events.
//
// On start it rebuilds the allocator from the addresses every existing
// Service holds before it allocates anything, so a restart never moves or
// duplicates an address. Cross-object problems (overlapping pools, a pool
// shrunk under addresses in use, conflicting peers, advertisements naming
// unknown pools or peers) become Valid=False conditions; the controller
// keeps each object's last valid spec until the problem is fixed.
//
// New Services are reconciled as soon as the watch delivers them: nothing
// is batched on the path of one Service. Pool status counts are written
// at most twice a second.
package controller
