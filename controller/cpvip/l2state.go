package cpvip

import (
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
)

// l2State is the decision of the L2 loop, without I/O: each round of
// probes, one result per member, goes through the members' gates, and the
// ready members through Owner.
type l2State struct {
	self  string
	vips  []netip.Addr
	names []string         // the members, self included, sorted
	gates map[string]*gate // by member
	ready []string         // after the last round, sorted
	owner string           // after the last round; "" when none is ready
	begun bool             // a round has been observed
}

// l2Step is what one round asks for.
type l2Step struct {
	// want is the VIPs to answer ARP/NDP for: all of them on the owner,
	// none elsewhere.
	want []netip.Addr
	// reannounce asks the owner to announce the VIPs again although it
	// keeps them: the ready set changed, so a node it did not see (or
	// that did not see it) may have taken them over meanwhile in the
	// neighbours' caches.
	reannounce bool
	logs       []logLine
}

// logLine is a line for the speaker's log.
type logLine struct {
	level slog.Level
	msg   string
	args  []any
}

func newL2State(self string, members []string, vips []netip.Addr, fall, rise int) *l2State {
	s := &l2State{self: self, vips: vips, names: slices.Sorted(slices.Values(members)), gates: map[string]*gate{}}
	for _, m := range members {
		s.gates[m] = newGate(fall, rise)
	}
	return s
}

// observe takes a round of probes, by member name; a member missing from
// results counts as failed.
func (s *l2State) observe(results map[string]Result) l2Step {
	var step l2Step
	log := func(level slog.Level, msg string, args ...any) {
		step.logs = append(step.logs, logLine{level, msg, args})
	}
	var ready []string
	for _, name := range s.names {
		g, r := s.gates[name], results[name]
		d := g.observe(r)
		switch {
		case d.Action == Announce:
			log(slog.LevelInfo, fmt.Sprintf("%s's kube-apiserver ready", name), "probes", d.Streak)
		case d.Action == Withdraw:
			log(slog.LevelWarn, fmt.Sprintf("%s's kube-apiserver not ready (%s)", name, d.Reason), "probes", d.Streak)
		case !r.Ready && !s.begun:
			log(slog.LevelInfo, fmt.Sprintf("%s's kube-apiserver not ready (%s)", name, d.Reason))
		default:
			log(slog.LevelDebug, "kube-apiserver probe", "node", name, "ready", r.Ready, "reason", r.Reason, "streak", d.Streak)
		}
		if g.announced() {
			ready = append(ready, name)
		}
	}
	owner := Owner(s.vips, ready)
	changed := !slices.Equal(ready, s.ready)
	if owner == s.self {
		step.want = s.vips
		step.reannounce = s.owner == s.self && changed
	}
	if changed || owner != s.owner {
		log(slog.LevelInfo, s.ownerLine(owner, ready, step.reannounce))
	}
	s.ready, s.owner, s.begun = ready, owner, true
	return step
}

// ownerLine says who answers for the VIPs, and what this node does.
func (s *l2State) ownerLine(owner string, ready []string, reannounce bool) string {
	vips := addrList(s.vips)
	switch {
	case owner == "":
		return "VIP owner: none (no kube-apiserver ready): not answering ARP/NDP for " + vips
	case owner != s.self:
		return fmt.Sprintf("VIP owner: %s (ready: %s): not answering", owner, strings.Join(ready, ", "))
	case reannounce:
		return fmt.Sprintf("VIP owner: %s (ready: %s): still answering ARP/NDP for %s; announcing them again, since a node that did not see this one may have taken them over",
			owner, strings.Join(ready, ", "), vips)
	}
	return fmt.Sprintf("VIP owner: %s (ready: %s): answering ARP/NDP for %s", owner, strings.Join(ready, ", "), vips)
}

func addrList(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
