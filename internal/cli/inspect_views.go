package cli

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/lblab/lblab/internal/observe"
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

// The views read the lab with the readers verify's checks use (package
// observe); -o raw prints what those readers read.

func inspectIPT(ctx context.Context, iv *inspection) error {
	if len(iv.services) == 0 {
		return errNoServices
	}
	v4, v6 := iv.families()
	var views []nodeView
	for _, n := range iv.nodes {
		rs, outs, err := observe.IPTables(ctx, n, v4, v6) // IPv4 first, every time
		if err != nil {
			iv.problem(n.Name, err)
		}
		if iv.f.output == "raw" {
			iv.raws(outs...)
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
		rs, out, err := observe.NFTables(ctx, n)
		if iv.f.output == "raw" && out.Data != nil {
			iv.raws(out)
		}
		if err != nil {
			iv.problem(n.Name, err)
			continue
		}
		if iv.f.output == "raw" {
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
