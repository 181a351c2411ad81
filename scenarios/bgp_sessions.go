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

// SessionEvidence is one BGP session bgp-sessions expected or saw.
type SessionEvidence struct {
	Peer    netip.Addr `json:"peer,omitzero"`
	Node    string     `json:"node,omitempty"`   // "" when no speaker node has the address
	Class   string     `json:"class,omitempty"`  // the speaker's loadBalancerClass; "" the default controller's
	Family  string     `json:"family,omitempty"` // IPv4 or IPv6: the session's transport
	State   string     `json:"state,omitempty"`  // "" when the TOR has no such neighbour
	Problem string     `json:"problem,omitempty"`
}

// SpeakerNode is a node expected to peer with the TOR.
type SpeakerNode struct {
	Name  string       `json:"name"`
	Addrs []netip.Addr `json:"addrs"`
	// Class is the loadBalancerClass of the controller whose speaker
	// this is, in labs with controller.classes; "" the default one.
	Class string `json:"class,omitempty"`
	// VIP marks a control-plane node's API server VIP speaker (labs with
	// controlPlane).
	VIP bool `json:"vip,omitempty"`
}

// who names a speaker in words: "node1", "node1's lblab.dev/lb speaker"
// or "control-plane2's API server VIP speaker".
func (n SpeakerNode) who() string {
	switch {
	case n.VIP:
		return n.Name + "'s API server VIP speaker"
	case n.Class == "":
		return n.Name
	}
	return n.Name + "'s " + n.Class + " speaker"
}

func checkBGPSessions() Check {
	return Check{Description: "the TOR has one Established session per speaker node and address family of the lab, and no others",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			if out, ok := bgpOnly(env); !ok {
				return out
			}
			nodes, v6s := ExpectedSpeakers(env)
			return poll(ctx, attempt, func(ctx context.Context) Outcome {
				sum, err := torSummary(ctx, env)
				if err != nil {
					return errOutcome(err)
				}
				out := JudgeSessions(nodes, v6s, sum.Peers())
				if notes := unservedNotes(unservedFamilies(env.Topology())); out.Status == Passed && len(notes) > 0 {
					out.Summary += "; " + strings.Join(notes, "; ")
				}
				return out
			})
		}}
}

// ExpectedSpeakers returns the nodes expected to peer with the TOR (every
// Kubernetes node) and the address families they peer in (false = IPv4):
// the lab's, but those the controller does not serve.
func ExpectedSpeakers(env Env) ([]SpeakerNode, []bool) {
	var nodes []SpeakerNode
	hosts := hostsByRole(env, lab.RoleControlPlane, lab.RoleWorker)
	for _, h := range hosts {
		nodes = append(nodes, SpeakerNode{Name: h.Name, Addrs: h.Addrs})
	}
	for _, cl := range env.Topology().Controller.Classes {
		for _, h := range hosts {
			nodes = append(nodes, SpeakerNode{Name: h.Name, Addrs: h.ClassAddrs[cl.LoadBalancerClass], Class: cl.LoadBalancerClass})
		}
	}
	for _, h := range hosts {
		if len(h.VIPAddrs) > 0 {
			nodes = append(nodes, SpeakerNode{Name: h.Name, Addrs: h.VIPAddrs, VIP: true})
		}
	}
	f := env.Topology().Network.IPFamily
	var v6s []bool
	if f.HasV4() {
		v6s = append(v6s, false)
	}
	if _, no := unservedFamilies(env.Topology())[familyName(true)]; f.HasV6() && !no {
		v6s = append(v6s, true)
	}
	return nodes, v6s
}

func familyName(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// JudgeSessions passes when the TOR has exactly one Established session
// per speaker node and address family of the lab (v6s: false = IPv4),
// from the node's address of that family, and no other neighbour. It
// names each missing, down or unexpected session, and fails when nothing
// is expected (no nodes or no families).
func JudgeSessions(nodes []SpeakerNode, v6s []bool, peers []frr.Peer) Outcome {
	if len(nodes) == 0 || len(v6s) == 0 {
		return fail(nil, "nothing to expect: %d speaker nodes, %d address families", len(nodes), len(v6s))
	}
	ev, problems := Sessions(nodes, v6s, peers)
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	fams := make([]string, 0, len(v6s))
	for _, v6 := range v6s {
		fams = append(fams, familyName(v6))
	}
	return pass(ev, "%d sessions Established: %d speaker nodes × %s", len(ev), len(nodes), strings.Join(fams, "+"))
}

// Sessions matches the TOR's peers against the sessions expected of the
// speaker nodes: one entry per expected or seen session, with its state
// and problem, and the problems in words.
func Sessions(nodes []SpeakerNode, v6s []bool, peers []frr.Peer) ([]SessionEvidence, []string) {
	var ev []SessionEvidence
	var problems []string
	want := map[netip.Addr]SessionEvidence{}
	for _, n := range nodes {
		for _, v6 := range v6s {
			a, ok := (lab.Node{Addrs: n.Addrs}).Addr(v6)
			if !ok {
				problems = append(problems, fmt.Sprintf("%s has no %s address to peer from (has %s)", n.who(), familyName(v6), orNone(n.Addrs)))
				ev = append(ev, SessionEvidence{Node: n.Name, Class: n.Class, Family: familyName(v6), Problem: "no address"})
				continue
			}
			want[a] = SessionEvidence{Peer: a, Node: n.Name, Class: n.Class, Family: familyName(v6)}
		}
	}
	seen := map[netip.Addr]bool{}
	for _, p := range peers {
		addr, err := netip.ParseAddr(p.Address)
		if err != nil {
			problems = append(problems, fmt.Sprintf("peer %q is not an address", p.Address))
			continue
		}
		e, ok := want[addr]
		if !ok {
			e = SessionEvidence{Peer: addr, Node: ownerOf(nodes, addr), Family: familyName(addr.Is6()), Problem: "unexpected"}
			problems = append(problems, fmt.Sprintf("unexpected peer %s (%s)%s", addr, p.State, unexpectedWhy(e, v6s)))
		}
		e.State = p.State
		switch {
		case e.Problem != "":
		case seen[addr]:
			e.Problem = "duplicate"
			problems = append(problems, fmt.Sprintf("two neighbours for %s (%s)", e.Node, addr))
		case p.State != "Established":
			e.Problem = "down"
			problems = append(problems, fmt.Sprintf("%s session with %s (%s) is %s", e.Family, e.Node, addr, p.State))
		}
		seen[addr] = true
		ev = append(ev, e)
	}
	var missing []netip.Addr
	for a := range want {
		if !seen[a] {
			missing = append(missing, a)
		}
	}
	slices.SortFunc(missing, func(a, b netip.Addr) int { return a.Compare(b) })
	for _, a := range missing {
		e := want[a]
		e.Problem = "missing"
		ev = append(ev, e)
		problems = append(problems, fmt.Sprintf("no %s session with %s (%s)", e.Family, SpeakerNode{Name: e.Node, Class: e.Class}.who(), a))
	}
	return ev, problems
}

// ownerOf names the node holding addr, or "".
func ownerOf(nodes []SpeakerNode, addr netip.Addr) string {
	for _, n := range nodes {
		if slices.Contains(n.Addrs, addr) {
			return n.Name
		}
	}
	return ""
}

func unexpectedWhy(e SessionEvidence, v6s []bool) string {
	switch {
	case e.Node == "":
		return " is no speaker node"
	case !slices.Contains(v6s, e.Peer.Is6()):
		return fmt.Sprintf(" of %s: the lab does not use %s", e.Node, e.Family)
	}
	return fmt.Sprintf(" of %s is not the address it peers from", e.Node)
}

func joinAddrs[T fmt.Stringer](as []T) string {
	s := make([]string, 0, len(as))
	for _, a := range as {
		s = append(s, a.String())
	}
	return strings.Join(s, ", ")
}
