package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// JudgeL2Failover passes when, for both faults, every LB IP of the
// stricken owner moved to another eligible node: the TOR switched to that
// node's MAC, it alone answers, and a client request sent after the switch
// succeeded within the run's budget; and the lab settled after the
// restore. The times and failed requests are reported, not judged (the
// issue's targets, 2 s after a speaker stops and 3 s after a link goes
// down, are medians over many runs, which hack/bench/l2.sh takes).
func JudgeL2Failover(ev L2FailoverEvidence) Outcome {
	var problems, parts []string
	for _, r := range []L2FailoverRun{ev.SpeakerStop, ev.LinkDown} {
		if p := l2RunProblem(r); p != "" {
			problems = append(problems, r.Fault+": "+p)
			continue
		}
		parts = append(parts, l2RunSummary(r))
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	return pass(ev, "%s", strings.Join(parts, "; "))
}

func l2RunProblem(r L2FailoverRun) string {
	if r.Step != "" {
		return fmt.Sprintf("step %q: %s", r.Step, r.Err)
	}
	if len(r.IPs) == 0 {
		return fmt.Sprintf("no tracked LB IP is owned by %q", r.Node)
	}
	for _, m := range r.IPs {
		others := slices.DeleteFunc(slices.Clone(m.Eligible), func(n string) bool { return n == m.OldOwner })
		switch {
		case len(others) == 0:
			return fmt.Sprintf("%s has no eligible node but %s to move to (eligible: %s)", m.IP, m.OldOwner, orNoneStr(m.Eligible))
		case m.NewOwner == m.OldOwner:
			return fmt.Sprintf("%s is still answered by %s after its %s", m.IP, m.OldOwner, r.Fault)
		case m.Switched == 0:
			return fmt.Sprintf("the TOR still sends %s to %s's MAC %s after %s; answered by: %s", m.IP, m.OldOwner, m.OldMAC, secs(r.Budget), orNoneStr(m.Answers))
		case m.Restored == 0:
			return fmt.Sprintf("no client request to %s succeeded within %s after the TOR switched to %s at %s (%d of %d failed)",
				m.IP, secs(r.Budget), m.SwitchedMAC, secs(m.Switched), m.Failed, m.Requests)
		case m.NewOwner == "":
			return fmt.Sprintf("%s is answered by %d nodes after the switch, not one: %s", m.IP, len(m.Answers), orNoneStr(m.Answers))
		case !slices.Contains(others, m.NewOwner):
			return fmt.Sprintf("%s moved to %s, not an eligible node (%s)", m.IP, m.NewOwner, strings.Join(others, ", "))
		case m.SwitchedMAC != m.NewMAC:
			return fmt.Sprintf("the TOR switched %s to %s, but %s (%s) answers for it", m.IP, m.SwitchedMAC, m.NewOwner, m.NewMAC)
		}
	}
	if r.Requests == 0 {
		return fmt.Sprintf("the client sent no request during the %s", r.Fault)
	}
	return ""
}

// l2RunSummary reads like "speaker stop: node2 → node3 in 1.62s (0 of 38
// requests failed), back to node2 1.1s after the restore".
func l2RunSummary(r L2FailoverRun) string {
	fault := r.Fault
	if r.Interface != "" {
		fault += " (" + r.Interface + ")"
	}
	var moves, after []string
	for _, m := range r.IPs {
		s := fmt.Sprintf("%s → %s in %s", m.OldOwner, m.NewOwner, secs(m.Restored))
		if len(r.IPs) > 1 {
			s += " for " + m.IP.String()
		}
		moves = append(moves, s)
		after = append(after, m.OwnerAfter)
	}
	failed := fmt.Sprintf("%d of %d requests failed", r.Failed, r.Requests)
	if r.AfterSwitch > 0 {
		failed += fmt.Sprintf(", %d of them after the switch", r.AfterSwitch)
	}
	back := "back to " + r.Node
	if slices.ContainsFunc(after, func(n string) bool { return n != r.Node }) {
		back = "then on " + strings.Join(after, " and ")
	}
	s := fmt.Sprintf("%s: %s (%s), %s %s after the restore", fault, strings.Join(moves, ", "), failed, back, secs(r.Settled))
	if len(r.Others) > 0 {
		s += "; not moved: " + strings.Join(r.Others, ", ")
	}
	return s
}

// secs is a duration to 10 ms: 1.62s, 940ms.
func secs(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }

func orNoneStr(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
