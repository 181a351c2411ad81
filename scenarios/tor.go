package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/netaddr"
)

var errNoTOR = errors.New("the lab has no TOR host")

func needTOR(env Env) (lab.Node, error) {
	t, ok := tor(env)
	if !ok {
		return lab.Node{}, errNoTOR
	}
	return t, nil
}

// torSummary reads the TOR's `show bgp summary json`.
func torSummary(ctx context.Context, env Env) (frr.Summary, error) {
	t, err := needTOR(env)
	if err != nil {
		return nil, err
	}
	out, err := t.Command(ctx, "vtysh", "-c", "show bgp summary json")
	if err != nil {
		return nil, fmt.Errorf("failed to read the TOR's BGP summary: %w", err)
	}
	return frr.ParseSummary(out)
}

// torRIB reads the TOR's BGP table of one family.
func torRIB(ctx context.Context, env Env, v6 bool) (*frr.RIB, error) {
	t, err := needTOR(env)
	if err != nil {
		return nil, err
	}
	fam := "ipv4"
	if v6 {
		fam = "ipv6"
	}
	out, err := t.Command(ctx, "vtysh", "-c", "show bgp "+fam+" unicast json")
	if err != nil {
		return nil, fmt.Errorf("failed to read the TOR's %s BGP table: %w", fam, err)
	}
	return frr.ParseRIB(out)
}

// torRoutes reads the TOR's kernel routes of one family.
func torRoutes(ctx context.Context, env Env, v6 bool) ([]iproute.Route, error) {
	t, err := needTOR(env)
	if err != nil {
		return nil, err
	}
	args := []string{"-j", "route", "show"}
	if v6 {
		args = []string{"-j", "-6", "route", "show"}
	}
	out, err := t.Command(ctx, "ip", args...)
	if err != nil {
		return nil, fmt.Errorf("failed to read the TOR's routes: %w", err)
	}
	return iproute.Parse(out)
}

// torNeighbors reads the TOR's `show bgp neighbors json`.
func torNeighbors(ctx context.Context, env Env) ([]frr.Neighbor, error) {
	t, err := needTOR(env)
	if err != nil {
		return nil, err
	}
	out, err := t.Command(ctx, "vtysh", "-c", "show bgp neighbors json")
	if err != nil {
		return nil, fmt.Errorf("failed to read the TOR's BGP neighbours: %w", err)
	}
	return frr.ParseNeighbors(out)
}

// pools returns the topology's pools as ranges, by name.
func pools(env Env) map[string][]netaddr.Range {
	out := map[string][]netaddr.Range{}
	for _, p := range env.Topology().Controller.Pools {
		for _, a := range p.Addresses {
			if r, err := netaddr.ParseRange(a); err == nil {
				out[p.Name] = append(out[p.Name], r)
			}
		}
	}
	return out
}

// inPools reports whether a is inside any pool.
func inPools(ps map[string][]netaddr.Range, a netip.Addr) bool {
	for _, rs := range ps {
		for _, r := range rs {
			if r.Contains(a) {
				return true
			}
		}
	}
	return false
}

func hostPrefix(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }

// hasFamily reports whether ips hold an address of one family (v6 false:
// IPv4).
func hasFamily(ips []netip.Addr, v6 bool) bool {
	return slices.ContainsFunc(ips, func(a netip.Addr) bool { return a.Is6() == v6 })
}
