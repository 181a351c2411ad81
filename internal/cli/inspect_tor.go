package cli

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/lblab/lblab/controller/cpvip"
	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/gobgpstate"
	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/observe"
	"github.com/lblab/lblab/internal/table"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/scenarios"
)

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

func torHost(iv *inspection) (lab.Node, error) {
	if t, ok := observe.TOR(iv.env.HostList); ok {
		return t, nil
	}
	return lab.Node{}, fmt.Errorf("lab %q has no TOR", iv.env.LabName)
}

func inspectRoutes(ctx context.Context, iv *inspection) error {
	t, err := torHost(iv)
	if err != nil {
		return err
	}
	var routes []iproute.Route
	for _, v6 := range []bool{false, true} {
		rs, out, err := observe.TORRoutes(ctx, t, v6)
		if iv.f.output == "raw" && out.Data != nil {
			iv.raws(out)
		}
		if err != nil {
			return err
		}
		routes = append(routes, rs...)
	}
	if iv.f.output == "raw" {
		return nil
	}
	var sel []iproute.Route
	want, ps := iv.lbPrefixes(), scenarios.Pools(iv.env.Topo)
	for _, r := range routes {
		if !r.Dst.IsSingleIP() {
			continue
		}
		if (iv.f.service == "" && scenarios.InPools(ps, r.Dst.Addr())) || slices.Contains(want, r.Dst) {
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
	for _, p := range want {
		if _, ok := iproute.Lookup(routes, p); !ok {
			rows = append(rows, []string{p.String(), "NO ROUTE", "-"})
			iv.failed = true
		}
	}
	return table.Write(iv.g.stdout, []string{"LB IP", "ROUTE", "NEXT HOPS"}, rows)
}

// bgpDoc is what inspect bgp shows.
type bgpDoc struct {
	Peers    []frr.Peer    `json:"torPeers"`
	BFD      []frr.BFDPeer `json:"torBFDPeers,omitempty"` // with tor.bfd
	Routes   []frr.Route   `json:"torRoutes"`
	Speakers []speakerView `json:"speakers"`
	// SpeakersNote says why the speakers' own view is missing: the
	// controller has no API that shows it.
	SpeakersNote string `json:"speakersNote,omitempty"`
}

type speakerView struct {
	Node  string            `json:"node"`
	State *gobgpstate.State `json:"state,omitempty"`
	Error string            `json:"error,omitempty"`
}

func inspectBGP(ctx context.Context, iv *inspection) error {
	t, err := torHost(iv)
	if err != nil {
		return err
	}
	var doc bgpDoc
	sum, out, err := observe.TORSummary(ctx, t)
	if err != nil {
		return err
	}
	outs := []observe.Output{out}
	doc.Peers = sum.Peers()
	if iv.env.Topo.TOR.BFD != nil {
		peers, out, err := observe.TORBFDPeers(ctx, t)
		if err != nil {
			return err
		}
		outs = append(outs, out)
		doc.BFD = peers
	}
	for _, v6 := range []bool{false, true} {
		rib, out, err := observe.TORRIB(ctx, t, v6)
		if err != nil {
			return err
		}
		outs = append(outs, out)
		doc.Routes = append(doc.Routes, rib.Routes...)
	}
	if iv.f.output == "raw" {
		iv.raws(outs...)
	}
	ctl := iv.env.Topo.Controller
	lblabClass := slices.ContainsFunc(ctl.Classes, func(c topology.ClassController) bool { return c.Type == topology.ControllerLBLab })
	if why := controllers.NoSpeakerAPI(ctl.Type); why != "" {
		doc.SpeakersNote = why + "; the TOR's sessions and routes above are the evidence"
		if lblabClass {
			doc.SpeakersNote += "; the speakers below are lblab's, the class controller's"
		}
	}
	if doc.SpeakersNote == "" || lblabClass { // else there is no speaker API to ask
		for _, n := range iv.nodes {
			doc.Speakers = append(doc.Speakers, readSpeaker(ctx, iv, n, n.Name, ""))
		}
	}
	// The control-plane nodes' VIP speakers (controlPlane), whatever the
	// LoadBalancer controller: lblab's own, with their own GoBGP API.
	for _, n := range iv.nodes {
		if len(n.VIPAddrs) > 0 {
			doc.Speakers = append(doc.Speakers, readSpeaker(ctx, iv, n, n.Name+" (API server VIP)", cpvip.DefaultGoBGPAPI))
		}
	}
	switch iv.f.output {
	case "raw":
		return nil
	case "json":
		return iv.json(doc)
	}
	printBGPDoc(iv, doc)
	return nil
}

// readSpeaker reads the GoBGP API at api ("" the LB speaker's) in node n,
// as the view named name; -o raw prints the output instead.
func readSpeaker(ctx context.Context, iv *inspection, n lab.Node, name, api string) speakerView {
	sv := speakerView{Node: name}
	st, out, err := observe.SpeakerAt(ctx, n, iv.env.ProbePath, api)
	switch {
	case err != nil:
		sv.Error = err.Error()
	case iv.f.output == "raw":
		iv.raws(out)
	default:
		sv.State = st
	}
	return sv
}

// printBGPDoc writes the TOR's sessions and routes and each speaker's view
// as tables.
func printBGPDoc(iv *inspection, doc bgpDoc) {
	w := iv.g.stdout
	heading(w, "TOR sessions")
	printPeers(w, doc.Peers)
	if len(doc.BFD) > 0 {
		heading(w, "TOR BFD sessions")
		rows := [][]string{}
		for _, p := range doc.BFD {
			rows = append(rows, []string{p.Peer.String(), p.Status, p.Since.String(),
				fmt.Sprintf("%s / %s × %d", p.TransmitInterval, p.ReceiveInterval, p.DetectMultiplier), orDash(p.Diagnostic)})
		}
		_ = table.Write(w, []string{"PEER", "STATUS", "FOR", "TX / RX × MULT", "DIAGNOSTIC"}, rows)
	}
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
	if doc.SpeakersNote != "" {
		heading(w, "Speakers")
		fmt.Fprintln(w, doc.SpeakersNote)
		if len(doc.Speakers) == 0 {
			return
		}
	}
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
	_ = table.Write(w, []string{"NODE", "NEIGHBOUR", "STATE", "ADVERTISED"}, rows)
}
