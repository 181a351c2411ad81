// Package haproxy drives a real HAProxy (2.6 or later) from Go: the L4
// forwarder of the external-lb topology's lb host.
//
// Render turns a Config (TCP frontends, each with one roundrobin backend
// of health-checked servers) into a deterministic haproxy.cfg; Validate
// runs `haproxy -c` on a file. Start runs HAProxy in master-worker mode as
// a child (`haproxy -W -db -f haproxy.cfg -S master.sock`), and
// (*Process).Apply swaps the configuration: it writes and validates the
// new file beside the old one, renames it into place and reloads through
// the master CLI, so an invalid configuration never replaces a running
// one. The stats socket is declared with `expose-fd listeners`, so the new
// worker takes the listening sockets over from the old one and no SYN is
// refused during a reload (the old worker finishes its sessions).
//
// ShowStat reads the runtime API's `show stat` CSV (by header name, so
// columns HAProxy adds later do not matter) into Stats: per proxy and
// server the status (UP, DOWN, MAINT, OPEN, no check …), the last check's
// result and duration and the session counters.
package haproxy
