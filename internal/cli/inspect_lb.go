package cli

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/lblab/lblab/internal/haproxy"
	"github.com/lblab/lblab/internal/table"
	"github.com/lblab/lblab/scenarios"
)

// lbView is the lb host's handling of one LB IP:port: whether it holds the
// IP, and HAProxy's backend with each server's health.
type lbView struct {
	Service string         `json:"service"`
	Target  string         `json:"target"`
	Backend string         `json:"backend"`
	Held    bool           `json:"held"` // the LB IP is on the lb host's eth0
	Servers []haproxy.Stat `json:"servers"`
	Error   string         `json:"error,omitempty"`
}

// inspectLB shows the external load balancer's frontends: read from
// HAProxy's runtime API and `ip addr` inside the lb host.
func inspectLB(ctx context.Context, iv *inspection) error {
	if iv.env.Topology().ExternalLB == nil {
		return fmt.Errorf("lab %q has no external load balancer (its topology has no externalLB; try -t external-lb)", iv.env.Name())
	}
	st, err := scenarios.ReadLB(ctx, iv.env)
	if err != nil {
		return err
	}
	if iv.f.output == "raw" {
		return iv.json(st.Stats)
	}
	var views []lbView
	iv.each(func(s scenarios.ServiceInfo, ip netip.Addr, p scenarios.PortInfo) {
		if p.Protocol != "tcp" {
			return
		}
		v := lbView{Service: s.Key(), Target: p.Target(ip), Backend: scenarios.BackendName(s.Namespace, s.Name, p.Port, ip),
			Held: slices.Contains(st.Addrs, ip), Servers: []haproxy.Stat{}}
		for _, r := range st.Stats {
			if r.Proxy == v.Backend && r.Type == "server" {
				v.Servers = append(v.Servers, r)
			}
		}
		if len(v.Servers) == 0 {
			v.Error, iv.failed = "no HAProxy backend "+v.Backend+" on the lb host", true
		}
		views = append(views, v)
	})
	if len(views) == 0 {
		return errNoServices
	}
	if iv.f.output == "json" {
		return iv.json(views)
	}
	for _, v := range views {
		held := "on lb's eth0"
		if !v.Held {
			held = "NOT on lb's eth0"
		}
		heading(iv.g.stdout, "lb: %s %s (%s) → backend %s", v.Service, v.Target, held, v.Backend)
		if v.Error != "" {
			fmt.Fprintf(iv.g.stdout, "  %s\n", v.Error)
			continue
		}
		var rows [][]string
		for _, s := range v.Servers {
			rows = append(rows, []string{s.Server, s.Addr.String(), s.Status, s.CheckStatus + " " + s.CheckDesc,
				s.LastChange.String(), strconv.FormatUint(s.CurrentSessions, 10) + "/" + strconv.FormatUint(s.TotalSessions, 10)})
		}
		_ = table.Write(iv.g.stdout, []string{"SERVER", "NODEIP:NODEPORT", "STATUS", "LAST CHECK", "SINCE", "SESSIONS NOW/TOTAL"}, rows)
	}
	return nil
}
