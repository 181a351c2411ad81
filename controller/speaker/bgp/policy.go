package bgp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"github.com/osrg/gobgp/v4/api"
)

// Names of the GoBGP policy objects the server owns. `gobgp policy` and
// `gobgp policy prefix` show them.
const (
	exportPolicy  = "lblab-export"
	denySetPrefix = "lblab-deny-" // prefix set and statement: prefixes a peer must not get
	peerSetPrefix = "lblab-peer-" // neighbour set: the peer's address
)

// denyChanges are the deny-set edits of one Announce or Withdraw.
type denyChanges struct {
	denied, allowed map[string][]netip.Prefix
	// reset are peers whose view of an announced prefix changed: they were
	// sent a prefix they must no longer have, or must now get a prefix whose
	// path did not change (GoBGP does not propagate an identical path
	// again). A soft reset out makes GoBGP send them the difference.
	reset map[string]bool
}

func (d *denyChanges) add(peer string, p netip.Prefix, wasSent bool) {
	if d.denied == nil {
		d.denied = map[string][]netip.Prefix{}
	}
	d.denied[peer] = append(d.denied[peer], p)
	if wasSent {
		if d.reset == nil {
			d.reset = map[string]bool{}
		}
		d.reset[peer] = true
	}
}

func (d *denyChanges) remove(peer string, p netip.Prefix, announced bool) {
	if d.allowed == nil {
		d.allowed = map[string][]netip.Prefix{}
	}
	d.allowed[peer] = append(d.allowed[peer], p)
	if announced {
		if d.reset == nil {
			d.reset = map[string]bool{}
		}
		d.reset[peer] = true
	}
}

func prefixSet(peer string, prefixes []netip.Prefix) *api.DefinedSet {
	ds := &api.DefinedSet{DefinedType: api.DefinedType_DEFINED_TYPE_PREFIX, Name: denySetPrefix + peer}
	for _, p := range prefixes {
		ds.Prefixes = append(ds.Prefixes, &api.Prefix{
			IpPrefix: p.String(), MaskLengthMin: uint32(p.Bits()), MaskLengthMax: uint32(p.Bits()),
		})
	}
	return ds
}

// updateDenySets applies the set edits. Called with s.mu held.
func (s *Server) updateDenySets(ctx context.Context, d denyChanges) error {
	var errs []error
	for peer, ps := range d.denied {
		if err := s.bgp.AddDefinedSet(ctx, &api.AddDefinedSetRequest{DefinedSet: prefixSet(peer, ps)}); err != nil {
			errs = append(errs, fmt.Errorf("failed to add to prefix set %s%s: %w", denySetPrefix, peer, err))
		}
	}
	for peer, ps := range d.allowed {
		if err := s.bgp.DeleteDefinedSet(ctx, &api.DeleteDefinedSetRequest{DefinedSet: prefixSet(peer, ps)}); err != nil {
			errs = append(errs, fmt.Errorf("failed to remove from prefix set %s%s: %w", denySetPrefix, peer, err))
		}
	}
	return errors.Join(errs...)
}

// resetOut makes GoBGP re-evaluate the export policy for peers whose view
// changed (see denyChanges.reset). Called with s.mu held.
func (s *Server) resetOut(ctx context.Context, d denyChanges) error {
	var errs []error
	for peer := range d.reset {
		p, ok := s.peers[peer]
		if !ok {
			continue
		}
		err := s.bgp.ResetPeer(ctx, &api.ResetPeerRequest{
			Address: p.Address.String(), Soft: true, Direction: api.ResetPeerRequest_DIRECTION_OUT,
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to soft-reset peer %s: %w", peer, err))
		}
	}
	return errors.Join(errs...)
}

// installPolicy replaces the export policy with one reject statement per
// peer, its deny set filled from what is announced. Called with s.mu held,
// before the peers' sessions are added, so no session ever sees a prefix
// it must not get.
func (s *Server) installPolicy(ctx context.Context) error {
	names := make([]string, 0, len(s.peers))
	for name := range s.peers {
		names = append(names, name)
	}
	sort.Strings(names)
	req := &api.SetPoliciesRequest{}
	pol := &api.Policy{Name: exportPolicy}
	for _, name := range names {
		peer := s.peers[name]
		var denied []netip.Prefix
		for p, a := range s.announced {
			if family(p.Addr()) == family(peer.Address) && !a.To(name) {
				denied = append(denied, p)
			}
		}
		slices.SortFunc(denied, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
		req.DefinedSets = append(req.DefinedSets,
			&api.DefinedSet{
				DefinedType: api.DefinedType_DEFINED_TYPE_NEIGHBOR, Name: peerSetPrefix + name,
				List: []string{netip.PrefixFrom(peer.Address, peer.Address.BitLen()).String()},
			},
			prefixSet(name, denied))
		pol.Statements = append(pol.Statements, &api.Statement{
			Name: denySetPrefix + name,
			Conditions: &api.Conditions{
				NeighborSet: &api.MatchSet{Type: api.MatchSet_TYPE_ANY, Name: peerSetPrefix + name},
				PrefixSet:   &api.MatchSet{Type: api.MatchSet_TYPE_ANY, Name: denySetPrefix + name},
			},
			Actions: &api.Actions{RouteAction: api.RouteAction_ROUTE_ACTION_REJECT},
		})
	}
	req.Policies = []*api.Policy{pol}
	if err := s.bgp.SetPolicies(ctx, req); err != nil {
		return fmt.Errorf("failed to set GoBGP export policy: %w", err)
	}
	if s.policy {
		return nil
	}
	err := s.bgp.AddPolicyAssignment(ctx, &api.AddPolicyAssignmentRequest{Assignment: &api.PolicyAssignment{
		Name:          "global",
		Direction:     api.PolicyDirection_POLICY_DIRECTION_EXPORT,
		Policies:      []*api.Policy{{Name: exportPolicy}},
		DefaultAction: api.RouteAction_ROUTE_ACTION_ACCEPT,
	}})
	if err != nil {
		return fmt.Errorf("failed to assign GoBGP export policy: %w", err)
	}
	s.policy = true
	return nil
}
