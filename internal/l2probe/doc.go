// Package l2probe asks a layer-2 segment who answers for an IP address, the
// way a neighbour would: one ARP request for an IPv4 address, one Neighbor
// Solicitation for an IPv6 address, sent from an interface inside a network
// namespace, and every distinct MAC that answers within a wait.
//
// Checks use it to prove layer-2 LoadBalancer announcements: exactly one
// node must answer for a LoadBalancer IP (zero means nobody took it over,
// two means a split brain), and after a failover the answer must change.
//
// # Design
//
// The sockets are opened on a locked OS thread that has entered the
// namespace (netns.Set); a socket stays in the namespace it was created in,
// so sending and reading then happen on any thread, and the thread goes
// back to the caller's namespace before it is unlocked (if it cannot, it
// stays locked and the Go runtime retires it).
//
// ARP goes through github.com/mdlayher/arp on an AF_PACKET socket: the
// request is broadcast with the interface's MAC and the IPv4 address of the
// interface that is in the target's subnet (else its first IPv4) as sender,
// and every ARP reply whose sender IP is the target counts.
//
// NDP goes through github.com/mdlayher/ndp on a raw ICMPv6 socket bound to
// the interface's link-local address: the solicitation goes to the
// target's solicited-node multicast group with a source link-layer address
// option (so the answerer can reply without resolving us first), and every
// Neighbor Advertisement for the target with hop limit 255 counts, by its
// target link-layer address option. A link-local still in duplicate address
// detection cannot be bound yet; Probe retries for a few seconds.
//
// The probe does not touch the namespace's neighbour table: the kernel
// ignores replies it did not ask for (arp_accept and accept_untracked_na
// off, the defaults).
//
// # IPv6 zones and namespaces
//
// Go resolves an IPv6 zone (fe80::1%eth0) to an interface index through one
// process-wide name cache that knows nothing of namespaces, so with eth0 in
// several namespaces the index can be another namespace's. Probe hands
// package ndp a copy of the interface whose Name is its decimal index,
// which Go takes as the index itself.
package l2probe
