package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
)

// SessionEvidence is one TOR neighbour as bgp-sessions saw it.
type SessionEvidence struct {
	Peer  netip.Addr `json:"peer"`
	Node  string     `json:"node,omitempty"` // "" when no speaker node has the address
	State string     `json:"state"`
}

// SpeakerNode is a node expected to peer with the TOR.
type SpeakerNode struct {
	Name  string       `json:"name"`
	Addrs []netip.Addr `json:"addrs"`
}

func checkBGPSessions() Check {
	return Check{Description: "the TOR has an Established session with every speaker node, and no others",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			var nodes []SpeakerNode
			for _, h := range hostsByRole(env, lab.RoleControlPlane, lab.RoleWorker) {
				nodes = append(nodes, SpeakerNode{Name: h.Name, Addrs: h.Addrs})
			}
			return poll(ctx, attempt, func(ctx context.Context) Outcome {
				sum, err := torSummary(ctx, env)
				if err != nil {
					return errOutcome(err)
				}
				return JudgeSessions(nodes, sum.Peers())
			})
		}}
}

// JudgeSessions passes when every TOR peer is Established and belongs to a
// speaker node, and every speaker node has an Established session.
func JudgeSessions(nodes []SpeakerNode, peers []frr.Peer) Outcome {
	var ev []SessionEvidence
	var problems []string
	up := map[string]bool{}
	for _, p := range peers {
		addr, err := netip.ParseAddr(p.Address)
		if err != nil {
			problems = append(problems, fmt.Sprintf("peer %q is not an address", p.Address))
			continue
		}
		owner := ""
		for _, n := range nodes {
			if slices.Contains(n.Addrs, addr) {
				owner = n.Name
			}
		}
		ev = append(ev, SessionEvidence{Peer: addr, Node: owner, State: p.State})
		switch {
		case owner == "":
			problems = append(problems, fmt.Sprintf("unexpected peer %s (%s) is no speaker node", addr, p.State))
		case p.State != "Established":
			problems = append(problems, fmt.Sprintf("session with %s (%s) is %s", owner, addr, p.State))
		default:
			up[owner] = true
		}
	}
	for _, n := range nodes {
		if !up[n.Name] && !slices.ContainsFunc(ev, func(e SessionEvidence) bool { return e.Node == n.Name }) {
			problems = append(problems, fmt.Sprintf("no session with %s (%s)", n.Name, joinAddrs(n.Addrs)))
		}
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	return pass(ev, "%d sessions Established with %d speaker nodes", len(ev), len(nodes))
}

func joinAddrs[T fmt.Stringer](as []T) string {
	s := make([]string, 0, len(as))
	for _, a := range as {
		s = append(s, a.String())
	}
	return strings.Join(s, ", ")
}
