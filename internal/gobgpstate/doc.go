// Package gobgpstate reads a speaker's BGP state from GoBGP's gRPC API (the
// v4 Go client): its neighbours with session state and prefix counters, and
// the prefixes it originates. lblab runs it inside a node (`lblab probe
// gobgp`, hidden) because the API listens on the node's localhost.
package gobgpstate
