// Package graph draws a lab's live state: its hosts and links, the BGP
// sessions between the TOR and the speakers with their state, and for each
// LoadBalancer IP the TOR's ECMP fan-out to the nodes in its FIB route and
// from each node to the pods behind it.
//
// Read builds a Graph through the same readers `lblab verify` and `lblab
// inspect` use (internal/observe and the checks' judging functions in
// scenarios), so the picture is what the lab does, not what its topology
// file says. The writers turn a Graph into Graphviz DOT, Mermaid, or, by
// running Graphviz's dot, SVG and PNG from one layout.
package graph
