package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/lblab/lblab/internal/dataplane/cilium"
	"github.com/lblab/lblab/internal/dataplane/iptables"
	"github.com/lblab/lblab/internal/dataplane/ipvs"
	"github.com/lblab/lblab/internal/dataplane/nftables"
	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/gobgpstate"
	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/table"
	"github.com/lblab/lblab/scenarios"
)

// nodeView is one node's answer for one LB IP:port, for -o json.
type nodeView struct {
	Node    string `json:"node"`
	Service string `json:"service"`
	Target  string `json:"target"`
	View    any    `json:"view,omitempty"`
	Error   string `json:"error,omitempty"`
}

func target(ip netip.Addr, p scenarios.PortInfo) string {
	return netip.AddrPortFrom(ip, p.Port).String() + "/" + p.Protocol
}

func inspectIPT(ctx context.Context, iv *inspection) error {
	if len(iv.services) == 0 {
		return errNoServices
	}
	v4, v6 := iv.families()
	var views []nodeView
	for _, n := range iv.nodes {
		rs := map[bool]*iptables.Ruleset{}
		for _, cmd := range iptables.SaveCommands(v4, v6) { // IPv4 first, every time
			out, err := n.Command(ctx, cmd.Name, "-c")
			if err != nil {
				iv.problem(n.Name, err)
				continue
			}
			if iv.f.output == "raw" {
				iv.raw(n.Name+": "+cmd.Name+" -c", out)
				continue
			}
			if rs[cmd.V6], err = iptables.Parse(out); err != nil {
				iv.problem(n.Name, err)
			}
		}
		if iv.f.output == "raw" {
			continue
		}
		iv.each(func(s scenarios.ServiceInfo, ip netip.Addr, p scenarios.PortInfo) {
			r := rs[ip.Is6()]
			if r == nil {
				return
			}
			walk, err := r.LoadBalancer(ip, p.Protocol, p.Port)
			iv.show(&views, n.Name, s, ip, p, walk, err, func(w io.Writer) {
				for _, l := range walk.Lines() {
					fmt.Fprintln(w, l)
				}
				rows := [][]string{}
				for _, ep := range walk.Endpoints {
					rows = append(rows, []string{ep.Chain, ep.Destination.String(), fmt.Sprintf("%.4f", ep.Probability), fmt.Sprint(ep.Packets), fmt.Sprint(ep.Bytes)})
				}
				if len(rows) > 0 {
					fmt.Fprintln(w)
					_ = table.Write(w, []string{"ENDPOINT CHAIN", "DNAT TO", "PROBABILITY", "PACKETS", "BYTES"}, rows)
				}
				if walk.Drop != nil {
					fmt.Fprintf(w, "dropped here: [%d:%d] %s\n", walk.Drop.Packets, walk.Drop.Bytes, walk.Drop)
				}
			})
		})
	}
	if iv.f.output == "json" {
		return iv.json(views)
	}
	return nil
}

func inspectNFT(ctx context.Context, iv *inspection) error {
	if len(iv.services) == 0 {
		return errNoServices
	}
	var views []nodeView
	for _, n := range iv.nodes {
		args := []string{"-j", "list", "ruleset"}
		if iv.f.output == "raw" {
			args = []string{"list", "ruleset"}
		}
		out, err := n.Command(ctx, "nft", args...)
		if err != nil {
			iv.problem(n.Name, err)
			continue
		}
		if iv.f.output == "raw" {
			iv.raw(n.Name+": nft list ruleset", out)
			continue
		}
		rs, err := nftables.Parse(out)
		if err != nil {
			iv.problem(n.Name, err)
			continue
		}
		iv.each(func(s scenarios.ServiceInfo, ip netip.Addr, p scenarios.PortInfo) {
			path, err := rs.LoadBalancer(ip, p.Protocol, p.Port)
			iv.show(&views, n.Name, s, ip, p, path, err, func(w io.Writer) {
				for _, l := range path.Lines() {
					fmt.Fprintln(w, l)
				}
				var eps []string
				for _, ep := range path.Endpoints {
					eps = append(eps, ep.Destination.String())
				}
				fmt.Fprintf(w, "endpoints: %s\n", orDash(strings.Join(eps, ", ")))
			})
		})
	}
	if iv.f.output == "json" {
		return iv.json(views)
	}
	return nil
}

func inspectIPVS(ctx context.Context, iv *inspection) error {
	type ipvsView struct {
		Node string      `json:"node"`
		Dump *ipvs.Dump  `json:"ipvs,omitempty"`
		Sets []*ipvs.Set `json:"ipsets,omitempty"`
		Err  string      `json:"error,omitempty"`
	}
	var views []ipvsView
	for _, n := range iv.nodes {
		v := ipvsView{Node: n.Name}
		d, err := scenarios.ReadIPVS(ctx, iv.env, n)
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
		sets, errs := scenarios.ReadIPSets(ctx, iv.env, n)
		for _, fam := range []bool{false, true} {
			if err := errs[fam]; err != nil {
				iv.problem(n.Name, err)
			}
		}
		for _, fam := range []bool{false, true} { // IPv4 first, every time
			if s := sets[fam]; s != nil {
				v.Sets = append(v.Sets, s)
			}
		}
		views = append(views, v)
		if iv.f.output != "table" {
			continue
		}
		rows := [][]string{}
		if len(iv.services) == 0 { // no cluster to ask: show every virtual server
			for _, vs := range d.VirtualServers {
				rows = append(rows, []string{"-", target(vs.Address, scenarios.PortInfo{Port: vs.Port, Protocol: vs.Protocol}), vs.Scheduler, "", "", fmt.Sprint(vs.Stats.Conns), fmt.Sprint(vs.Stats.InPkts), ""})
			}
		}
		iv.each(func(s scenarios.ServiceInfo, ip netip.Addr, p scenarios.PortInfo) {
			vs, ok := d.Lookup(ip, p.Protocol, p.Port)
			member := "no"
			if set := sets[ip.Is6()]; set != nil && set.Has(ip, p.Protocol, p.Port) {
				member = "yes"
			}
			if !ok {
				iv.failed = true
				rows = append(rows, []string{s.Key(), target(ip, p), "-", "MISSING", "-", "-", "-", member})
				return
			}
			rows = append(rows, []string{s.Key(), target(ip, p), vs.Scheduler, "", "", fmt.Sprint(vs.Stats.Conns), fmt.Sprint(vs.Stats.InPkts), member})
			for _, rs := range vs.RealServers {
				rows = append(rows, []string{"", "  -> " + rs.Address.String(), rs.Forward, fmt.Sprint(rs.Weight),
					fmt.Sprintf("%d/%d", rs.ActiveConns, rs.InactiveConns), fmt.Sprint(rs.Stats.Conns), fmt.Sprint(rs.Stats.InPkts), ""})
			}
		})
		heading(iv.g.stdout, "%s", n.Name)
		_ = table.Write(iv.g.stdout, []string{"SERVICE", "VIRTUAL/REAL SERVER", "SCHED/FWD", "WEIGHT", "ACT/INACT", "CONNS", "INPKTS", "IN IPSET"}, rows)
	}
	if iv.f.output != "table" {
		return iv.json(views)
	}
	return nil
}

func inspectBPF(ctx context.Context, iv *inspection) error {
	var views []nodeView
	for _, n := range iv.nodes {
		out, err := scenarios.CiliumLBList(ctx, iv.env, n.Name)
		if err != nil {
			iv.problem(n.Name, err)
			continue
		}
		if iv.f.output == "raw" {
			iv.raw(n.Name+": cilium-dbg bpf lb list -o json", out)
			continue
		}
		fes, err := cilium.Parse(out)
		if err != nil {
			iv.problem(n.Name, err)
			continue
		}
		iv.each(func(s scenarios.ServiceInfo, ip netip.Addr, p scenarios.PortInfo) {
			fe, ok := cilium.Lookup(fes, ip, p.Protocol, p.Port)
			var err error
			if !ok {
				err = errNoFrontend
			}
			iv.show(&views, n.Name, s, ip, p, fe, err, func(w io.Writer) {
				for _, l := range fe.Frontend().Rules {
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// lbPrefixes returns the selected Services' LB IPs as host prefixes.
func (iv *inspection) lbPrefixes() []netip.Prefix {
	var out []netip.Prefix
	iv.each(func(_ scenarios.ServiceInfo, ip netip.Addr, _ scenarios.PortInfo) {
		if p := netip.PrefixFrom(ip, ip.BitLen()); !slices.Contains(out, p) {
			out = append(out, p)
		}
	})
	return out
}

// inPools reports whether a is inside one of the topology's pools.
func (iv *inspection) inPools(a netip.Addr) bool {
	for _, p := range iv.env.Topo.Controller.Pools {
		for _, s := range p.Addresses {
			if r, err := netaddr.ParseRange(s); err == nil && r.Contains(a) {
				return true
			}
		}
	}
	return false
}

func torHost(iv *inspection) (lab.Node, error) {
	for _, h := range iv.env.HostList {
		if h.Role == lab.RoleTOR {
			return h, nil
		}
	}
	return lab.Node{}, fmt.Errorf("lab %q has no TOR", iv.env.LabName)
}

func inspectRoutes(ctx context.Context, iv *inspection) error {
	t, err := torHost(iv)
	if err != nil {
		return err
	}
	var routes []iproute.Route
	for _, args := range [][]string{{"-j", "route", "show"}, {"-j", "-6", "route", "show"}} {
		out, err := t.Command(ctx, "ip", args...)
		if err != nil {
			return err
		}
		if iv.f.output == "raw" {
			iv.raw("tor: ip "+strings.Join(args, " "), out)
			continue
		}
		rs, err := iproute.Parse(out)
		if err != nil {
			return err
		}
		routes = append(routes, rs...)
	}
	if iv.f.output == "raw" {
		return nil
	}
	var sel []iproute.Route
	want := iv.lbPrefixes()
	for _, r := range routes {
		if !r.Dst.IsSingleIP() {
			continue
		}
		if (iv.f.service == "" && iv.inPools(r.Dst.Addr())) || slices.Contains(want, r.Dst) {
			sel = append(sel, r)
		}
	}
	if iv.f.output == "json" {
		return iv.json(sel)
	}
	rows := [][]string{}
	for _, r := range sel {
		var nhs []string
		for _, nh := range r.Nexthops {
			s := fmt.Sprintf("%s (%s", nh.Gateway, nh.Dev)
			if nh.Weight > 0 {
				s += fmt.Sprintf(", weight %d", nh.Weight)
			}
			nhs = append(nhs, s+")")
		}
		kind := "single path"
		if r.Multipath() {
			kind = fmt.Sprintf("ECMP ×%d", len(r.Nexthops))
		}
		rows = append(rows, []string{r.Dst.String(), kind, strings.Join(nhs, ", ")})
	}
	for _, p := range iv.lbPrefixes() {
		if _, ok := iproute.Lookup(routes, p); !ok {
			rows = append(rows, []string{p.String(), "NO ROUTE", "-"})
			iv.failed = true
		}
	}
	return table.Write(iv.g.stdout, []string{"LB IP", "ROUTE", "NEXT HOPS"}, rows)
}

func inspectBGP(ctx context.Context, iv *inspection) error {
	t, err := torHost(iv)
	if err != nil {
		return err
	}
	type speakerView struct {
		Node  string            `json:"node"`
		State *gobgpstate.State `json:"state,omitempty"`
		Error string            `json:"error,omitempty"`
	}
	var doc struct {
		Peers    []frr.Peer    `json:"torPeers"`
		Routes   []frr.Route   `json:"torRoutes"`
		Speakers []speakerView `json:"speakers"`
	}
	sumOut, err := t.Command(ctx, "vtysh", "-c", "show bgp summary json")
	if err != nil {
		return err
	}
	var ribOut [2][]byte
	for i, fam := range []string{"ipv4", "ipv6"} {
		if ribOut[i], err = t.Command(ctx, "vtysh", "-c", "show bgp "+fam+" unicast json"); err != nil {
			return err
		}
	}
	if iv.f.output == "raw" {
		iv.raw("tor: show bgp summary json", sumOut)
		iv.raw("tor: show bgp ipv4 unicast json", ribOut[0])
		iv.raw("tor: show bgp ipv6 unicast json", ribOut[1])
	} else {
		sum, err := frr.ParseSummary(sumOut)
		if err != nil {
			return err
		}
		doc.Peers = sum.Peers()
		for _, data := range ribOut {
			rib, err := frr.ParseRIB(data)
			if err != nil {
				return err
			}
			doc.Routes = append(doc.Routes, rib.Routes...)
		}
	}
	for _, n := range iv.nodes {
		sv := speakerView{Node: n.Name}
		if iv.env.ProbePath == "" {
			sv.Error = "no lblab binary inside the nodes to read GoBGP's API with"
		} else if out, err := n.Command(ctx, iv.env.ProbePath, "probe", "gobgp"); err != nil {
			sv.Error = err.Error()
		} else if iv.f.output == "raw" {
			iv.raw(n.Name+": GoBGP API (lblab probe gobgp)", out)
		} else if sv.State, err = gobgpstate.Parse(out); err != nil {
			sv.Error = err.Error()
		}
		doc.Speakers = append(doc.Speakers, sv)
	}
	switch iv.f.output {
	case "raw":
		return nil
	case "json":
		return iv.json(doc)
	}
	w := iv.g.stdout
	heading(w, "TOR sessions")
	printPeers(w, doc.Peers)
	heading(w, "TOR routes")
	rows := [][]string{}
	for _, r := range doc.Routes {
		for _, p := range r.Paths {
			nh, _ := p.Nexthop()
			flags := []string{}
			if p.Bestpath {
				flags = append(flags, "best")
			}
			if p.Multipath {
				flags = append(flags, "multipath")
			}
			if !p.Valid {
				flags = append(flags, "invalid")
			}
			rows = append(rows, []string{r.Prefix.String(), nh.String(), fmt.Sprint(p.ASPath), strings.Join(flags, ",")})
		}
	}
	_ = table.Write(w, []string{"PREFIX", "NEXT HOP", "AS PATH", "FLAGS"}, rows)
	heading(w, "Speakers (GoBGP API)")
	rows = [][]string{}
	for _, s := range doc.Speakers {
		if s.Error != "" {
			rows = append(rows, []string{s.Node, "-", "error: " + s.Error, "-"})
			continue
		}
		var adv []string
		for _, p := range s.State.Advertised {
			adv = append(adv, p.String())
		}
		for i, nb := range s.State.Neighbors {
			a := ""
			if i == 0 {
				a = orDash(strings.Join(adv, " "))
			}
			rows = append(rows, []string{s.Node, fmt.Sprintf("%s (AS %d)", nb.Address, nb.PeerASN), nb.State, a})
		}
		if len(s.State.Neighbors) == 0 {
			rows = append(rows, []string{s.Node, "-", "no neighbours", orDash(strings.Join(adv, " "))})
		}
	}
	return table.Write(w, []string{"NODE", "NEIGHBOUR", "STATE", "ADVERTISED"}, rows)
}
