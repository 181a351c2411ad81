package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lblab/lblab/internal/dataplane"
	"github.com/lblab/lblab/internal/dataplane/cilium"
	"github.com/lblab/lblab/internal/dataplane/iptables"
	"github.com/lblab/lblab/internal/dataplane/ipvs"
	"github.com/lblab/lblab/internal/dataplane/nftables"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
)

// Plane answers, for one node, what its data plane does with traffic to an
// LB IP:port.
type Plane func(ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error)

// ReadPlane reads a node's data plane in the given mode, for the families
// asked for, with one command per family at most.
func ReadPlane(ctx context.Context, env Env, mode topology.Dataplane, node lab.Node, v4, v6 bool) (Plane, error) {
	switch mode {
	case topology.DataplaneIPTables:
		rs := map[bool]*iptables.Ruleset{}
		for _, cmd := range iptables.SaveCommands(v4, v6) {
			out, err := node.Command(ctx, cmd.Name, "-c")
			if err != nil {
				return nil, fmt.Errorf("failed to run %s on %s: %w", cmd.Name, node.Name, err)
			}
			if rs[cmd.V6], err = iptables.Parse(out); err != nil {
				return nil, fmt.Errorf("failed to parse %s on %s: %w", cmd.Name, node.Name, err)
			}
		}
		return func(ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error) {
			r := rs[ip.Is6()]
			if r == nil {
				return dataplane.Frontend{}, fmt.Errorf("the %s rules of %s were not read", map[bool]string{false: "IPv4", true: "IPv6"}[ip.Is6()], node.Name)
			}
			s, err := r.LoadBalancer(ip, proto, port)
			if err != nil {
				return dataplane.Frontend{}, err
			}
			return s.Frontend(), nil
		}, nil
	case topology.DataplaneNFTables:
		out, err := node.Command(ctx, "nft", "-j", "list", "ruleset")
		if err != nil {
			return nil, fmt.Errorf("failed to run nft on %s: %w", node.Name, err)
		}
		rs, err := nftables.Parse(out)
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
		return readIPVS(ctx, env, node)
	case topology.DataplaneEBPF:
		out, err := CiliumLBList(ctx, env, node.Name)
		if err != nil {
			return nil, err
		}
		fes, err := cilium.Parse(out)
		if err != nil {
			return nil, err
		}
		return func(ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error) {
			f, ok := cilium.Lookup(fes, ip, proto, port)
			if !ok {
				return dataplane.Frontend{}, fmt.Errorf("no Cilium LB frontend %s/%s", netip.AddrPortFrom(ip, port), proto)
			}
			return f.Frontend(), nil
		}, nil
	}
	return nil, fmt.Errorf("unknown data plane %q", mode)
}

// ReadIPVS runs `lblab probe ipvs` inside the node.
func ReadIPVS(ctx context.Context, env Env, node lab.Node) (*ipvs.Dump, error) {
	if env.Probe() == "" {
		return nil, errors.New("no lblab binary inside the nodes to read IPVS with")
	}
	out, err := node.Command(ctx, env.Probe(), "probe", "ipvs")
	if err != nil {
		return nil, fmt.Errorf("failed to read IPVS on %s: %w", node.Name, err)
	}
	return ipvs.ParseDump(out)
}

// ReadIPSets reads kube-proxy's LB ipsets inside the node, by family, with
// `ipset list`, or through `lblab probe ipset` on a node without the ipset
// CLI (kind's). A set that does not exist is left out; one that could not
// be read or parsed is left out with the reason in errs.
func ReadIPSets(ctx context.Context, env Env, node lab.Node) (sets map[bool]*ipvs.Set, errs map[bool]error) {
	sets, errs = map[bool]*ipvs.Set{}, map[bool]error{}
	for _, v6 := range []bool{false, true} {
		name := ipvs.LoadBalancerSetOf(v6)
		out, err := node.Command(ctx, "ipset", "list", name)
		var re *run.Error
		if errors.As(err, &re) && strings.Contains(re.Stderr, "does not exist") {
			continue
		}
		if err != nil {
			s, perr := probeIPSet(ctx, env, node, name)
			switch {
			case perr != nil:
				errs[v6] = fmt.Errorf("failed to read ipset %s on %s: %w; through lblab probe: %w", name, node.Name, err, perr)
			case s != nil:
				sets[v6] = s
			}
			continue
		}
		ss, err := ipvs.ParseSets(out)
		if err == nil && len(ss) != 1 {
			err = fmt.Errorf("%d sets in the output, want 1", len(ss))
		}
		if err != nil {
			errs[v6] = fmt.Errorf("failed to parse ipset %s on %s: %w", name, node.Name, err)
			continue
		}
		sets[v6] = &ss[0]
	}
	return sets, errs
}

// probeIPSet reads one ipset with `lblab probe ipset` inside the node; nil
// when it does not exist.
func probeIPSet(ctx context.Context, env Env, node lab.Node, name string) (*ipvs.Set, error) {
	if env.Probe() == "" {
		return nil, errors.New("no lblab binary inside the node")
	}
	out, err := node.Command(ctx, env.Probe(), "probe", "ipset", name)
	if err != nil {
		return nil, err
	}
	var ss []ipvs.Set
	if err := json.Unmarshal(out, &ss); err != nil {
		return nil, fmt.Errorf("failed to decode lblab probe ipset: %w", err)
	}
	if len(ss) == 0 {
		return nil, nil
	}
	return &ss[0], nil
}

func readIPVS(ctx context.Context, env Env, node lab.Node) (Plane, error) {
	d, err := ReadIPVS(ctx, env, node)
	if err != nil {
		return nil, err
	}
	if !d.Available {
		return nil, fmt.Errorf("%s: %s", node.Name, d.Reason)
	}
	sets, errs := ReadIPSets(ctx, env, node)
	return func(ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error) {
		return ipvsFrontend(d, sets[ip.Is6()], errs[ip.Is6()], ip, proto, port)
	}, nil
}

// ipvsFrontend is what a node's IPVS table and the LB ipset of ip's family
// (or why it could not be read) do with ip:port/proto: the virtual server
// must exist and its IP be in the set.
func ipvsFrontend(d *ipvs.Dump, set *ipvs.Set, setErr error, ip netip.Addr, proto string, port uint16) (dataplane.Frontend, error) {
	vs, ok := d.Lookup(ip, proto, port)
	if !ok {
		return dataplane.Frontend{}, fmt.Errorf("no IPVS virtual server %s/%s", netip.AddrPortFrom(ip, port), proto)
	}
	f := vs.Frontend(set)
	if setErr != nil {
		return f, setErr
	}
	if set == nil || !set.Has(ip, proto, port) {
		return f, fmt.Errorf("virtual server %s/%s exists but the IP is not in ipset %s", netip.AddrPortFrom(ip, port), proto, ipvs.LoadBalancerSetOf(ip.Is6()))
	}
	return f, nil
}

// CiliumLBList runs `cilium-dbg bpf lb list -o json` in the Cilium agent
// pod on the node.
func CiliumLBList(ctx context.Context, env Env, node string) ([]byte, error) {
	kc, err := env.Kube()
	if err != nil {
		return nil, err
	}
	pods, err := kc.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=cilium",
		FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return nil, fmt.Errorf("failed to find the Cilium agent on %s: %w", node, err)
	}
	if len(pods.Items) == 0 {
		return nil, fmt.Errorf("no Cilium agent pod (kube-system, k8s-app=cilium) on %s", node)
	}
	return env.PodExec(ctx, "kube-system", pods.Items[0].Name, "cilium-agent", "cilium-dbg", "bpf", "lb", "list", "-o", "json")
}
