// Package frr renders the TOR's frr.conf from fixtures/frr/frr.conf.tmpl and
// knows how to start the distribution's FRR daemons for one lab: their
// command lines, pid files and vty sockets, so that several labs' FRR
// instances run side by side on one machine. It also parses vtysh's JSON
// into typed values: `show bgp summary json` (ParseSummary), `show bgp
// ipv4|ipv6 unicast json` (ParseRIB) and `show bgp neighbors json`
// (ParseNeighbors).
package frr
