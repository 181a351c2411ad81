// Package l2probetest builds, for tests that need root, a two-node layer-2
// segment: two fresh network namespaces joined by a veth pair whose ends are
// both called eth0, each with an IPv4 and an IPv6 address in one subnet.
//
// Both ends share a name on purpose: Go's net package keeps one process-wide
// cache from interface name to index, blind to namespaces, so code that works
// in several namespaces at once and resolves IPv6 zones by name gets the
// wrong index. The B end also gets a higher index than the A end (a spacer
// veth pair, spacer0 and spacer1, is made there first, down and without
// addresses), so such a bug shows. Everything is removed in
// t.Cleanup, also when the test fails.
package l2probetest
