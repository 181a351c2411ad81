package scenarios

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/lblab/lblab/internal/netaddr"
)

// lblabFieldManager is the field manager of lblab's controller's writes
// of status.loadBalancer (and the source of its events).
const lblabFieldManager = "lblab-controller"

// ClassController is one controller of a lab with controller.classes, as
// lb-class judges it.
type ClassController struct {
	// Class is the loadBalancerClass it handles; "" for the default
	// controller, which handles the Services without one.
	Class string `json:"class,omitempty"`
	// Type is the controller (lblab, metallb).
	Type string `json:"type"`
	// Pools are its pools' address ranges, by pool name.
	Pools map[string][]netaddr.Range `json:"-"`
	// Events are the event sources of its controller.
	Events []string `json:"events"`
	// Speakers are the addresses its speakers peer with the TOR from.
	Speakers []netip.Addr `json:"speakers"`
}

// ClassEvidence is what lb-class saw of one LoadBalancer Service.
type ClassEvidence struct {
	Service string `json:"service"`
	Class   string `json:"class,omitempty"` // spec.loadBalancerClass
	// Controller is the type of the controller that must serve it.
	Controller string       `json:"controller"`
	IPs        []netip.Addr `json:"ips"`
	// Managers are the field managers owning status.loadBalancer.
	Managers []string `json:"statusManagers"`
	// Sources are the sources of the events recorded on the Service.
	Sources []string `json:"eventSources,omitempty"`
	// Peers are the TOR's neighbours its routes came from; Want are its
	// controller's speakers on the eligible nodes.
	Peers []netip.Addr `json:"peers"`
	Want  []netip.Addr `json:"want"`
	// Changed is how status.loadBalancer changed while lb-class watched.
	Changed string `json:"changed,omitempty"`
	Problem string `json:"problem,omitempty"`
}

// JudgeClasses passes when every Service is served by its own controller
// only: an IP from its controller's pools and from no other's,
// status.loadBalancer owned by that controller alone, no event from
// another controller, routes learned from its controller's speakers on
// exactly the eligible nodes, an unchanged status while watched, and at
// least one Service for each controller.
func JudgeClasses(ctrls []ClassController, ev []ClassEvidence) Outcome {
	var problems []string
	served := map[string]int{}
	for i := range ev {
		e := &ev[i]
		own := slices.IndexFunc(ctrls, func(c ClassController) bool { return c.Class == e.Class })
		if own < 0 {
			e.Problem = fmt.Sprintf("no controller of the lab handles class %q", e.Class)
			problems = append(problems, e.Service+": "+e.Problem)
			continue
		}
		served[e.Class]++
		var ps []string
		ps = append(ps, poolProblems(ctrls, own, e.IPs)...)
		ps = append(ps, managerProblems(ctrls[own], e.Managers)...)
		for _, c := range ctrls {
			if c.Class == e.Class {
				continue
			}
			for _, src := range e.Sources {
				if slices.Contains(c.Events, src) {
					ps = append(ps, fmt.Sprintf("%s (the %s controller) recorded events on it", src, c.Type))
				}
			}
			for _, p := range e.Peers {
				if slices.Contains(c.Speakers, p) {
					ps = append(ps, fmt.Sprintf("the TOR learned it from %s, a speaker of %s", p, c.Type))
				}
			}
		}
		if missing, extra := addrDiff(e.Want, e.Peers); len(e.IPs) > 0 && (len(missing) > 0 || len(extra) > 0) {
			ps = append(ps, fmt.Sprintf("routes from %s, want from %s's speakers %s", orNone(e.Peers), ctrls[own].Type, orNone(e.Want)))
		}
		if e.Changed != "" {
			ps = append(ps, "status.loadBalancer changed while watched ("+e.Changed+"): two controllers fight over it")
		}
		if len(ps) > 0 {
			e.Problem = strings.Join(ps, "; ")
			problems = append(problems, e.Service+": "+e.Problem)
		}
	}
	for _, c := range ctrls {
		if served[c.Class] == 0 {
			problems = append(problems, fmt.Sprintf("no Service of the topology is %s's (%s): add a workload whose service has loadBalancerClass %q",
				c.Type, classWords(c.Class), c.Class))
		}
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	var parts []string
	for _, c := range ctrls {
		parts = append(parts, fmt.Sprintf("%s serves %d (%s)", c.Type, served[c.Class], classWords(c.Class)))
	}
	return pass(ev, "each Service served by its own controller only: %s; status written by one manager, routes from its own speakers", strings.Join(parts, ", "))
}

// poolProblems checks that every IP is inside a pool of ctrls[own] and of
// no other controller, and that there is one.
func poolProblems(ctrls []ClassController, own int, ips []netip.Addr) []string {
	if len(ips) == 0 {
		return []string{"no LB IP yet"}
	}
	var ps []string
	for _, ip := range ips {
		if !InPools(ctrls[own].Pools, ip) {
			ps = append(ps, fmt.Sprintf("%s is outside %s's pools", ip, ctrls[own].Type))
		}
		for i, c := range ctrls {
			if i != own && InPools(c.Pools, ip) {
				ps = append(ps, fmt.Sprintf("%s is from %s's pools", ip, c.Type))
			}
		}
	}
	return ps
}

// managerProblems checks that status.loadBalancer has one owner, the
// controller's: lblab's writes carry its field manager; another
// controller's must not.
func managerProblems(c ClassController, managers []string) []string {
	switch {
	case len(managers) == 0:
		return []string{"no field manager owns status.loadBalancer"}
	case len(managers) > 1:
		return []string{fmt.Sprintf("status.loadBalancer is owned by %s: more than one writer", strings.Join(managers, ", "))}
	case c.Type == "lblab" && managers[0] != lblabFieldManager:
		return []string{fmt.Sprintf("status.loadBalancer is owned by %s, not lblab's %s", managers[0], lblabFieldManager)}
	case c.Type != "lblab" && managers[0] == lblabFieldManager:
		return []string{fmt.Sprintf("status.loadBalancer is owned by %s, but %s should serve it", lblabFieldManager, c.Type)}
	}
	return nil
}

func classWords(class string) string {
	if class == "" {
		return "no loadBalancerClass"
	}
	return "class " + class
}
