package scenarios

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/lblab/lblab/internal/dataplane"
	"github.com/lblab/lblab/internal/dataplane/cilium"
	"github.com/lblab/lblab/internal/dataplane/ipvs"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/observe"
	"github.com/lblab/lblab/internal/topology"
)

// Plane answers, for one node, what its data plane does with traffic to an
// LB IP:port.
type Plane func(ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error)

// ReadPlane reads a node's data plane in the given mode, for the families
// asked for, with the readers `lblab inspect` uses (package observe).
func ReadPlane(ctx context.Context, env Env, mode topology.Dataplane, node lab.Node, v4, v6 bool) (Plane, error) {
	switch mode {
	case topology.DataplaneIPTables:
		rs, _, err := observe.IPTables(ctx, node, v4, v6)
		if err != nil {
			return nil, err
		}
		return func(ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error) {
			r := rs[ip.Is6()]
			if r == nil {
				return dataplane.Frontend{}, fmt.Errorf("the %s rules of %s were not read", familyName(ip.Is6()), node.Name)
			}
			s, err := r.LoadBalancer(ip, proto, port)
			if err != nil {
				return dataplane.Frontend{}, err
			}
			return s.Frontend(), nil
		}, nil
	case topology.DataplaneNFTables:
		rs, _, err := observe.NFTables(ctx, node)
		if err != nil {
			return nil, err
		}
		return func(ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error) {
			s, err := rs.LoadBalancer(ip, proto, port)
			if err != nil {
				return dataplane.Frontend{}, err
			}
			return s.Frontend(), nil
		}, nil
	case topology.DataplaneIPVS:
		return readIPVS(ctx, env, node, v4, v6)
	case topology.DataplaneEBPF:
		kc, err := env.Kube()
		if err != nil {
			return nil, err
		}
		fes, ranges, _, err := observe.Cilium(ctx, kc, env.PodExec, node)
		if err != nil {
			return nil, err
		}
		return func(ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error) {
			f, ok := cilium.Lookup(fes, ip, proto, port)
			if !ok {
				return dataplane.Frontend{}, fmt.Errorf("no Cilium LB frontend %s/%s", netip.AddrPortFrom(ip, port), proto)
			}
			return f.Frontend(ranges), nil
		}, nil
	}
	return nil, fmt.Errorf("unknown data plane %q", mode)
}

func readIPVS(ctx context.Context, env Env, node lab.Node, v4, v6 bool) (Plane, error) {
	d, _, err := observe.IPVS(ctx, node, env.Probe())
	if err != nil {
		return nil, err
	}
	if !d.Available {
		return nil, fmt.Errorf("%s: %s", node.Name, d.Reason)
	}
	sets, _, setsErr := observe.IPSets(ctx, node, env.Probe())
	rules, _, rulesErr := observe.IPVSFirewall(ctx, node, v4, v6)
	return func(ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error) {
		l := ipvs.LBSetsOf(sets, ip.Is6())
		l.Rules = rules[ip.Is6()]
		err := setsErr
		if err == nil {
			err = rulesErr
		}
		return ipvsFrontend(d, l, err, ip, proto, port)
	}, nil
}

// ipvsFrontend is what a node's IPVS table, its LB ipsets of ip's family
// and the iptables rules that consult them (or why they could not be
// read) do with ip:port/proto: the virtual server must exist and its
// IP,proto:port be in KUBE-LOAD-BALANCER; the firewall sets and rules give
// the sources let in.
func ipvsFrontend(d *ipvs.Dump, sets ipvs.LBSets, setsErr error, ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error) {
	vs, ok := d.Lookup(ip, proto, port)
	if !ok {
		return dataplane.Frontend{}, fmt.Errorf("no IPVS virtual server %s/%s", netip.AddrPortFrom(ip, port), proto)
	}
	f := vs.Frontend(sets)
	if setsErr != nil {
		return f, setsErr
	}
	if !sets.Access(ip, proto, port).Served {
		return f, fmt.Errorf("virtual server %s/%s exists but the IP is not in ipset %s", netip.AddrPortFrom(ip, port), proto, ipvs.LoadBalancerSetOf(ip.Is6()))
	}
	return f, nil
}
