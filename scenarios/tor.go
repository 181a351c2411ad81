package scenarios

import (
	"context"
	"errors"
	"net/netip"
	"slices"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/observe"
	"github.com/lblab/lblab/internal/topology"
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
	s, _, err := observe.TORSummary(ctx, t)
	return s, err
}

// torRIB reads the TOR's BGP table of one family.
func torRIB(ctx context.Context, env Env, v6 bool) (*frr.RIB, error) {
	t, err := needTOR(env)
	if err != nil {
		return nil, err
	}
	r, _, err := observe.TORRIB(ctx, t, v6)
	return r, err
}

// torRoutes reads the TOR's kernel routes of one family.
func torRoutes(ctx context.Context, env Env, v6 bool) ([]iproute.Route, error) {
	t, err := needTOR(env)
	if err != nil {
		return nil, err
	}
	rs, _, err := observe.TORRoutes(ctx, t, v6)
	return rs, err
}

// torNeighbors reads the TOR's `show bgp neighbors json`.
func torNeighbors(ctx context.Context, env Env) ([]frr.Neighbor, error) {
	t, err := needTOR(env)
	if err != nil {
		return nil, err
	}
	n, _, err := observe.TORNeighbors(ctx, t)
	return n, err
}

// pools returns the lab topology's pools as ranges, by name.
func pools(env Env) map[string][]netaddr.Range { return Pools(env.Topology()) }

// Pools returns a topology's pools as ranges, by name (addresses that do
// not parse are left out: validation has refused them already).
func Pools(t *topology.Topology) map[string][]netaddr.Range {
	all := t.Controller.AllPools()
	if x := t.ExternalLB; x != nil && t.Controller.Type == topology.ControllerNone {
		all = x.Pools // the defaulted controller.pools serve nothing there
	} else if x != nil {
		all = append(all, x.Pools...)
	}
	return poolRanges(all)
}

// poolRanges returns pools as ranges, by name.
func poolRanges(pools []topology.Pool) map[string][]netaddr.Range {
	out := map[string][]netaddr.Range{}
	for _, p := range pools {
		for _, a := range p.Addresses {
			if r, err := netaddr.ParseRange(a); err == nil {
				out[p.Name] = append(out[p.Name], r)
			}
		}
	}
	return out
}

// InPools reports whether a is inside any pool.
func InPools(ps map[string][]netaddr.Range, a netip.Addr) bool {
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
