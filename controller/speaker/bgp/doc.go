// Package bgp is the speaker's BGP session layer: an embedded GoBGP v4
// server that never listens on :179, one neighbour per Peer, and a desired
// set of host-route Advertisements announced with next-hop self.
//
// The layer is small on purpose, in the spirit of MetalLB's Session.Set:
// callers say what should be announced (Set, or Announce and Withdraw for
// one prefix at a time on the hot path) and the Server works out the UPDATEs.
// Everything it does stays visible through GoBGP's own gRPC API, so the
// standard `gobgp neighbor` and `gobgp global rib` commands show it.
//
// An Advertisement may name the peers it goes to. That is done with one
// global export policy, "lblab-export", holding one reject statement per
// peer that matches the peer's neighbour set and its deny prefix set
// ("lblab-deny-<peer>"); `gobgp policy` shows them.
//
// A session is reported Established once GoBGP advertises on it and the
// peer has every change made while it came up (catchup.go).
package bgp
