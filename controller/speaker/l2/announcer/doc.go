// Package announcer is the speaker's L2 mode: it decides which LB IPs
// this node owns and has the node answer ARP and NDP for them.
//
// Every speaker runs the same pure function (Assign) over the same
// inputs: the LoadBalancer Services of the bundled controller with their
// IPs and pools, the L2Advertisements, the nodes' labels, which nodes
// have a ready endpoint of each Service, and which speakers are alive
// (owner.Membership, from one Lease per node). For each IP the
// candidates are the nodes an advertisement of its pool selects, minus
// those without a local endpoint when the Service's
// externalTrafficPolicy is Local, minus the dead; owner.Owner picks one
// by rendezvous hashing. So the speakers agree without talking to each
// other, a dead node's IPs move within a lease duration, and a node that
// leaves moves only its own IPs.
//
// The owner answers through one l2.Responder per interface (the one
// with an address in a prefix holding the IP, or the advertisement's
// interfaces), which sends gratuitous ARP and unsolicited Neighbor
// Advertisements when it takes an IP over. Each takeover is recorded as
// an event on the Service ("node2 answers ARP/NDP for 10.89.0.192 on
// eth0"), and the owned IPs are in the node's SpeakerStatus.
//
// The announcer starts its informers, heartbeat and membership only once
// an L2Advertisement exists: a BGP-only cluster pays nothing for it.
package announcer
