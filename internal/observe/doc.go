// Package observe reads a lab's state through its hosts' command
// interface (lab.Node): one reader per thing, shared by `lblab verify`'s
// checks and `lblab inspect`'s views, so both see the lab through the same
// commands and parsers.
//
// Each reader runs the real tool (vtysh, ip -j route, iptables-save,
// nft -j, ipset, cilium-dbg, or `lblab probe` inside a node), parses its
// output with the typed parsers of internal/frr, internal/iproute,
// internal/dataplane/* and internal/gobgpstate, and returns the parsed
// value together with the raw Output it parsed, for `inspect -o raw`.
package observe
