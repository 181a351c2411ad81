package observe

import (
	"context"
	"errors"
	"fmt"

	"github.com/lblab/lblab/internal/dataplane/iptables"
	"github.com/lblab/lblab/internal/dataplane/nftables"
	"github.com/lblab/lblab/internal/lab"
)

// IPTables reads a node's kube-proxy rules of the families asked for with
// iptables-save -c and ip6tables-save -c, IPv4 first every time. The map
// holds the families read; a family whose command failed or did not parse
// is missing and err says why (IPv4's reason first).
func IPTables(ctx context.Context, n lab.Node, v4, v6 bool) (map[bool]*iptables.Ruleset, []Output, error) {
	rs := map[bool]*iptables.Ruleset{}
	var outs []Output
	var errs []error
	for _, cmd := range iptables.SaveCommands(v4, v6) {
		o, err := command(ctx, n, cmd.Name, "-c")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		outs = append(outs, o)
		if rs[cmd.V6], err = iptables.Parse(o.Data); err != nil {
			delete(rs, cmd.V6)
			errs = append(errs, fmt.Errorf("failed to parse %s on %s: %w", cmd.Name, n.Name, err))
		}
	}
	return rs, outs, errors.Join(errs...)
}

// NFTables reads a node's nftables ruleset (`nft -j list ruleset`).
func NFTables(ctx context.Context, n lab.Node) (*nftables.Ruleset, Output, error) {
	o, err := command(ctx, n, "nft", "-j", "list", "ruleset")
	if err != nil {
		return nil, o, err
	}
	rs, err := nftables.Parse(o.Data)
	if err != nil {
		return nil, o, fmt.Errorf("failed to parse nft -j list ruleset on %s: %w", n.Name, err)
	}
	return rs, o, nil
}
