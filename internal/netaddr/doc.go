// Package netaddr holds family-agnostic address helpers on top of net/netip:
// inclusive address ranges written as CIDRs or "a-b", overlap tests, and the
// n-th address of a prefix. The topology model and the controller's
// allocator share it.
package netaddr
