package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/lblab/lblab/internal/haproxy"
	"github.com/lblab/lblab/internal/lab"
)

// LBState is what the external load balancer host holds: its addresses
// on the segment and HAProxy's backends with their servers, read from
// HAProxy's runtime API ("show stat") inside the lb host.
type LBState struct {
	Addrs    []netip.Addr `json:"addrs"`
	Backends []LBBackend  `json:"backends"`
	// Stats are HAProxy's rows as read, for `lblab inspect lb`.
	Stats []haproxy.Stat `json:"-"`
}

// ReadLB reads the lb host of an externalLB lab.
func ReadLB(ctx context.Context, env Env) (LBState, error) { return readLB(ctx, env) }

// LBBackend is one HAProxy backend and its servers.
type LBBackend struct {
	Name    string     `json:"name"`
	Servers []LBServer `json:"servers"`
}

// LBServer is one server of a backend: a NodeIP:NodePort, HAProxy's
// health-check verdict ("UP", "DOWN", "MAINT", …) and its last check's
// result (L4OK, L7OK, L4CON, L7STS, INI before the first, …).
type LBServer struct {
	Name   string         `json:"name"`
	Addr   netip.AddrPort `json:"addr"`
	Status string         `json:"status"`
	Check  string         `json:"check"`
}

// Backend returns the named backend.
func (s LBState) Backend(name string) (LBBackend, bool) {
	i := slices.IndexFunc(s.Backends, func(b LBBackend) bool { return b.Name == name })
	if i < 0 {
		return LBBackend{}, false
	}
	return s.Backends[i], true
}

// Up returns the addresses of the servers HAProxy sends traffic to and
// whose last health check passed: HAProxy starts a server UP before its
// first check, so UP alone proves nothing about the node.
func (b LBBackend) Up() []netip.AddrPort {
	var out []netip.AddrPort
	for _, s := range b.Servers {
		if (s.Status == "UP" || strings.HasPrefix(s.Status, "UP ")) && strings.HasSuffix(s.Check, "OK") {
			out = append(out, s.Addr)
		}
	}
	return out
}

// All returns every server's address.
func (b LBBackend) All() []netip.AddrPort {
	out := make([]netip.AddrPort, len(b.Servers))
	for i, s := range b.Servers {
		out[i] = s.Addr
	}
	return out
}

// lbHost returns the lab's external load balancer host.
func lbHost(env Env) (lab.Node, error) {
	for _, h := range env.Hosts() {
		if h.Role == lab.RoleLB {
			return h, nil
		}
	}
	return lab.Node{}, fmt.Errorf("the lab has no lb host (the topology has no externalLB)")
}

// readLB reads the lb host's addresses and HAProxy's state.
func readLB(ctx context.Context, env Env) (LBState, error) {
	h, err := lbHost(env)
	if err != nil {
		return LBState{}, err
	}
	if env.Probe() == "" {
		return LBState{}, fmt.Errorf("no lblab binary inside the lb host to read HAProxy with")
	}
	out, err := h.Command(ctx, env.Probe(), "probe", "haproxy", "--socket", lab.ExternalLBStatsSocket(env.Name()))
	if err != nil {
		return LBState{}, fmt.Errorf("failed to read HAProxy's runtime API on the lb host: %w", err)
	}
	var stats []haproxy.Stat
	if err := json.Unmarshal(out, &stats); err != nil {
		return LBState{}, fmt.Errorf("failed to parse `lblab probe haproxy`: %w", err)
	}
	st := LBStateOf(stats)
	st.Stats = stats
	addrOut, err := h.Command(ctx, "ip", "-j", "addr", "show", "dev", "eth0")
	if err != nil {
		return st, fmt.Errorf("failed to read the lb host's addresses: %w", err)
	}
	st.Addrs, err = parseIPAddrs(addrOut)
	return st, err
}

// LBStateOf groups HAProxy's stat rows into backends with their servers
// (the FRONTEND and BACKEND rows are aggregates, not servers).
func LBStateOf(stats []haproxy.Stat) LBState {
	st := LBState{Backends: []LBBackend{}}
	for _, s := range stats {
		if s.Type != "backend" && s.Type != "server" {
			continue
		}
		i := slices.IndexFunc(st.Backends, func(b LBBackend) bool { return b.Name == s.Proxy })
		if i < 0 {
			st.Backends = append(st.Backends, LBBackend{Name: s.Proxy, Servers: []LBServer{}})
			i = len(st.Backends) - 1
		}
		if s.Type == "server" {
			st.Backends[i].Servers = append(st.Backends[i].Servers, LBServer{Name: s.Server, Addr: s.Addr, Status: s.Status, Check: s.CheckStatus})
		}
	}
	return st
}

// parseIPAddrs reads the addresses of `ip -j addr show`.
func parseIPAddrs(out []byte) ([]netip.Addr, error) {
	var links []struct {
		AddrInfo []struct {
			Local string `json:"local"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		return nil, fmt.Errorf("failed to parse `ip -j addr`: %w", err)
	}
	var as []netip.Addr
	for _, l := range links {
		for _, ai := range l.AddrInfo {
			if a, err := netip.ParseAddr(ai.Local); err == nil {
				as = append(as, a)
			}
		}
	}
	return as, nil
}
