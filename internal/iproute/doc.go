// Package iproute parses iproute2's JSON output (`ip -j route show`) into
// typed routes with net/netip addresses. A multipath (ECMP) route carries its
// next hops in Nexthops; a single-path route is normalised to one next hop
// too, so callers compare next-hop sets without caring which form the
// kernel printed.
package iproute
