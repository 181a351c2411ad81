package observe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lblab/lblab/internal/dataplane/iptables"
	"github.com/lblab/lblab/internal/dataplane/ipvs"
	"github.com/lblab/lblab/internal/lab"
)

var errNoProbe = errors.New("no lblab binary inside the nodes")

// IPVS reads a node's IPVS table by running `lblab probe ipvs` (the lblab
// binary at probe) inside it.
func IPVS(ctx context.Context, n lab.Node, probe string) (*ipvs.Dump, Output, error) {
	if probe == "" {
		return nil, Output{}, fmt.Errorf("failed to read IPVS on %s: %w", n.Name, errNoProbe)
	}
	o, err := command(ctx, n, probe, "probe", "ipvs")
	if err != nil {
		return nil, o, fmt.Errorf("failed to read IPVS: %w", err)
	}
	d, err := ipvs.ParseDump(o.Data)
	return d, o, err
}

// IPSets reads a node's ipsets with one `ipset list`, or, when that fails
// (kind's node image has no ipset CLI), kube-proxy's LB sets through
// `lblab probe ipset` (netlink). Absent sets are left out; the error says
// why neither way worked.
func IPSets(ctx context.Context, n lab.Node, probe string) ([]ipvs.Set, Output, error) {
	o, err := command(ctx, n, "ipset", "list")
	if err == nil {
		sets, perr := ipvs.ParseSets(o.Data)
		if perr != nil {
			return nil, o, fmt.Errorf("failed to parse ipset list on %s: %w", n.Name, perr)
		}
		return sets, o, nil
	}
	sets, po, perr := probeIPSets(ctx, n, probe)
	if perr != nil {
		return nil, o, fmt.Errorf("failed to read the ipsets of %s: %w; through lblab probe: %w", n.Name, err, perr)
	}
	return sets, po, nil
}

func probeIPSets(ctx context.Context, n lab.Node, probe string) ([]ipvs.Set, Output, error) {
	if probe == "" {
		return nil, Output{}, errNoProbe
	}
	o, err := command(ctx, n, probe, append([]string{"probe", "ipset"}, ipvs.LBSetNames()...)...)
	if err != nil {
		return nil, o, err
	}
	var sets []ipvs.Set
	if err := json.Unmarshal(o.Data, &sets); err != nil {
		return nil, o, fmt.Errorf("failed to decode lblab probe ipset: %w", err)
	}
	return sets, o, nil
}

// IPVSFirewall reads, for each family asked for, the iptables rules
// through which kube-proxy's ipvs mode enforces source ranges
// (iptables-save, ip6tables-save). A family whose command failed is
// missing and err says why.
func IPVSFirewall(ctx context.Context, n lab.Node, v4, v6 bool) (map[bool]ipvs.FirewallRules, []Output, error) {
	out := map[bool]ipvs.FirewallRules{}
	var outs []Output
	var errs []error
	for _, cmd := range iptables.SaveCommands(v4, v6) {
		o, err := command(ctx, n, cmd.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		outs = append(outs, o)
		out[cmd.V6] = ipvs.ParseFirewallRules(o.Data, cmd.V6)
	}
	return out, outs, errors.Join(errs...)
}
