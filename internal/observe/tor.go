package observe

import (
	"context"
	"fmt"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/lab"
)

// TORSummary reads the TOR's `show bgp summary json`.
func TORSummary(ctx context.Context, tor lab.Node) (frr.Summary, Output, error) {
	o, err := command(ctx, tor, "vtysh", "-c", "show bgp summary json")
	if err != nil {
		return nil, o, fmt.Errorf("failed to read the TOR's BGP summary: %w", err)
	}
	s, err := frr.ParseSummary(o.Data)
	return s, o, err
}

// TORRIB reads the TOR's BGP table of one family.
func TORRIB(ctx context.Context, tor lab.Node, v6 bool) (*frr.RIB, Output, error) {
	fam := "ipv4"
	if v6 {
		fam = "ipv6"
	}
	o, err := command(ctx, tor, "vtysh", "-c", "show bgp "+fam+" unicast json")
	if err != nil {
		return nil, o, fmt.Errorf("failed to read the TOR's %s BGP table: %w", familyName(v6), err)
	}
	r, err := frr.ParseRIB(o.Data)
	return r, o, err
}

// TORRoutes reads the TOR's kernel routes of one family.
func TORRoutes(ctx context.Context, tor lab.Node, v6 bool) ([]iproute.Route, Output, error) {
	args := []string{"-j", "route", "show"}
	if v6 {
		args = []string{"-j", "-6", "route", "show"}
	}
	o, err := command(ctx, tor, "ip", args...)
	if err != nil {
		return nil, o, fmt.Errorf("failed to read the TOR's %s routes: %w", familyName(v6), err)
	}
	rs, err := iproute.Parse(o.Data)
	return rs, o, err
}

// TORNeighbors reads the TOR's `show bgp neighbors json`.
func TORNeighbors(ctx context.Context, tor lab.Node) ([]frr.Neighbor, Output, error) {
	o, err := command(ctx, tor, "vtysh", "-c", "show bgp neighbors json")
	if err != nil {
		return nil, o, fmt.Errorf("failed to read the TOR's BGP neighbours: %w", err)
	}
	n, err := frr.ParseNeighbors(o.Data)
	return n, o, err
}

// TORBFDPeers reads the TOR's `show bfd peers json` (empty without BFD).
func TORBFDPeers(ctx context.Context, tor lab.Node) ([]frr.BFDPeer, Output, error) {
	o, err := command(ctx, tor, "vtysh", "-c", "show bfd peers json")
	if err != nil {
		return nil, o, fmt.Errorf("failed to read the TOR's BFD peers: %w", err)
	}
	p, err := frr.ParseBFDPeers(o.Data)
	return p, o, err
}

// TOR returns the TOR among hosts.
func TOR(hosts []lab.Node) (lab.Node, bool) {
	for _, h := range hosts {
		if h.Role == lab.RoleTOR {
			return h, true
		}
	}
	return lab.Node{}, false
}
