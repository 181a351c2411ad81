package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/lblab/lblab/internal/dataplane/cilium"
	"github.com/lblab/lblab/internal/dataplane/ipvs"
	"github.com/lblab/lblab/internal/observe"
	"github.com/lblab/lblab/internal/table"
	"github.com/lblab/lblab/scenarios"
)

func inspectIPVS(ctx context.Context, iv *inspection) error {
	type ipvsView struct {
		Node string      `json:"node"`
		Dump *ipvs.Dump  `json:"ipvs,omitempty"`
		Sets []*ipvs.Set `json:"ipsets,omitempty"` // kube-proxy's LB sets, IPv4 first
		Err  string      `json:"error,omitempty"`
	}
	var views []ipvsView
	for _, n := range iv.nodes {
		v := ipvsView{Node: n.Name}
		d, _, err := observe.IPVS(ctx, n, iv.env.ProbePath)
		if err != nil {
			iv.problem(n.Name, err)
			v.Err = err.Error()
			views = append(views, v)
			continue
		}
		v.Dump = d
		if !d.Available {
			// Say so once, plainly; it is the kernel, not the node.
			fmt.Fprintf(iv.g.stdout, "%s: %s\n", n.Name, d.Reason)
			views = append(views, v)
			continue
		}
		sets, _, err := observe.IPSets(ctx, n, iv.env.ProbePath)
		if err != nil {
			iv.problem(n.Name, err)
		}
		rules, _, err := observe.IPVSFirewall(ctx, n, true, true)
		if err != nil {
			iv.problem(n.Name, err)
		}
		lb := map[bool]ipvs.LBSets{false: ipvs.LBSetsOf(sets, false), true: ipvs.LBSetsOf(sets, true)}
		for fam, l := range lb {
			l.Rules = rules[fam]
			lb[fam] = l
		}
		for _, fam := range []bool{false, true} { // IPv4 first, every time
			l := lb[fam]
			for _, s := range []*ipvs.Set{l.LoadBalancer, l.Firewall, l.SourceCIDR, l.SourceIP} {
				if s != nil {
					v.Sets = append(v.Sets, s)
				}
			}
		}
		views = append(views, v)
		if iv.f.output != "table" {
			continue
		}
		rows := [][]string{}
		if len(iv.services) == 0 { // no cluster to ask: show every virtual server
			for _, vs := range d.VirtualServers {
				rows = append(rows, []string{"-", scenarios.PortInfo{Port: vs.Port, Protocol: vs.Protocol}.Target(vs.Address), vs.Scheduler, "", "",
					fmt.Sprint(vs.Stats.Conns), fmt.Sprint(vs.Stats.InPkts), "", ""})
			}
		}
		iv.each(func(s scenarios.ServiceInfo, ip netip.Addr, p scenarios.PortInfo) {
			vs, ok := d.Lookup(ip, p.Protocol, p.Port)
			acc := lb[ip.Is6()].Access(ip, p.Protocol, p.Port)
			member, sources := "no", sourcesColumn(acc, ip)
			if acc.Served {
				member = "yes"
			}
			if !ok {
				iv.failed = true
				rows = append(rows, []string{s.Key(), p.Target(ip), "-", "MISSING", "-", "-", "-", member, sources})
				return
			}
			rows = append(rows, []string{s.Key(), p.Target(ip), vs.Scheduler, "", "", fmt.Sprint(vs.Stats.Conns), fmt.Sprint(vs.Stats.InPkts), member, sources})
			for _, rs := range vs.RealServers {
				rows = append(rows, []string{"", "  -> " + rs.Address.String(), rs.Forward, fmt.Sprint(rs.Weight),
					fmt.Sprintf("%d/%d", rs.ActiveConns, rs.InactiveConns), fmt.Sprint(rs.Stats.Conns), fmt.Sprint(rs.Stats.InPkts), "", ""})
			}
		})
		heading(iv.g.stdout, "%s", n.Name)
		_ = table.Write(iv.g.stdout, []string{"SERVICE", "VIRTUAL/REAL SERVER", "SCHED/FWD", "WEIGHT", "ACT/INACT", "CONNS", "INPKTS", "IN IPSET", "SOURCES"}, rows)
	}
	if iv.f.output != "table" {
		return iv.json(views)
	}
	return nil
}

// sourcesColumn says which sources from outside the LB sets let in.
func sourcesColumn(a ipvs.Access, ip netip.Addr) string {
	allowed, filtered := a.Allowed(ip)
	switch {
	case !filtered:
		return "all"
	case len(allowed) == 0:
		return "none (dropped)"
	}
	var s []string
	for _, p := range allowed {
		s = append(s, p.String())
	}
	return strings.Join(s, " ")
}

func inspectBPF(ctx context.Context, iv *inspection) error {
	kc, err := iv.env.Kube()
	if err != nil {
		return err
	}
	var views []nodeView
	for _, n := range iv.nodes {
		fes, ranges, outs, err := observe.Cilium(ctx, kc, iv.env.PodExec, n)
		if iv.f.output == "raw" {
			iv.raws(outs...)
		}
		if err != nil {
			iv.problem(n.Name, err)
			if fes == nil {
				continue
			}
		}
		if iv.f.output == "raw" {
			continue
		}
		iv.each(func(s scenarios.ServiceInfo, ip netip.Addr, p scenarios.PortInfo) {
			fe, ok := cilium.Lookup(fes, ip, p.Protocol, p.Port)
			var err error
			if !ok {
				err = errNoFrontend
			}
			var view any
			if ok {
				// The map entry, and the source-range entries of its rev-NAT ID.
				view = struct {
					*cilium.Frontend
					SourceRanges []netip.Prefix `json:"sourceRanges,omitempty"`
				}{fe, ranges[fe.RevNAT]}
			}
			iv.show(&views, n.Name, s, ip, p, view, err, func(w io.Writer) {
				for _, l := range fe.Frontend(ranges).Rules {
					fmt.Fprintln(w, l)
				}
			})
		})
	}
	if iv.f.output == "json" {
		return iv.json(views)
	}
	return nil
}

var errNoFrontend = errors.New("no Cilium LB frontend")
