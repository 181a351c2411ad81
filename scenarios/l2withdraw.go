package scenarios

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// L2WithdrawEvidence is the timeline of withdraw-on-delete in an L2 lab,
// where one node answers ARP/NDP for each LB IP instead of a route.
type L2WithdrawEvidence struct {
	Service string       `json:"service"`
	IPs     []netip.Addr `json:"ips"`
	// TOR is the TOR's request to each IP before the delete, sent once
	// every node's data plane had the Service (Programmed after it was
	// answered): it makes the TOR's kernel resolve the IP to the owner's
	// MAC, so there is a neighbour entry to watch. Its answer is not judged
	// (reachability judges the topology's Services).
	TOR        []Batch       `json:"tor,omitempty"`
	Programmed time.Duration `json:"programmed"`
	// Before is who answered for each IP before the delete, with the TOR's
	// neighbour entry; After is the first look after it at which nobody
	// answered (on failure, the last look).
	Before []L2Evidence `json:"before,omitempty"`
	After  []L2Evidence `json:"after,omitempty"`
	// Allocated, Owned and Withdrawn are durations from the Service's
	// creation to its IPs, from then to one eligible node answering for
	// each, and from the delete to nobody answering for any.
	Allocated time.Duration `json:"allocated"`
	Owned     time.Duration `json:"owned"`
	Withdrawn time.Duration `json:"withdrawn"`
	// Freed is true when no Service holds the IPs after the delete.
	Freed bool `json:"freed"`
	// Step names the step that did not complete, and Err why.
	Step string `json:"step,omitempty"`
	Err  string `json:"error,omitempty"`
}

func runL2Withdraw(ctx context.Context, env Env) (ev L2WithdrawEvidence) {
	failAt := func(step string, err error) L2WithdrawEvidence {
		ev.Step, ev.Err = step, err.Error()
		return ev
	}
	t, ok := tor(env)
	if !ok {
		return failAt("find the TOR", fmt.Errorf("the lab has no TOR to ask the segment from"))
	}
	lb, cleanup, step, err := startTempLB(ctx, env, TempPrefix+"withdraw", nil)
	defer cleanup()
	ev.Service, ev.IPs, ev.Allocated, ev.Owned = lb.Key, lb.Info.LBIPs, lb.Allocated, lb.Routed
	if err != nil {
		return failAt(step, err)
	}
	si := lb.Info
	if ev.Programmed, err = waitProgrammed(ctx, env, si); err != nil {
		return failAt("program the data plane", err)
	}
	for _, ip := range ev.IPs {
		b, _ := Fetch(ctx, t, URL(ip, si.Ports[0].Port), 1, 2)
		ev.TOR = append(ev.TOR, b)
	}
	if ev.Before, _, err = waitL2Owned(ctx, env, &si); err != nil {
		return failAt("answer before the delete", err)
	}
	if err := lb.kc.CoreV1().Services(si.Namespace).Delete(ctx, si.Name, metav1.DeleteOptions{}); err != nil {
		return failAt("delete", err)
	}
	gone := si
	gone.Endpoints = nil // deleted: no node is eligible any more
	ev.Withdrawn, err = waitFor(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		after, err := observeL2Service(ctx, env, gone)
		if err != nil {
			return false, err
		}
		ev.After = after
		return len(stillAnswered(after)) == 0, nil
	})
	if err != nil {
		still := strings.Join(stillAnswered(ev.After), "; ")
		if still == "" {
			still = "no look at the segment completed"
		}
		return failAt("stop answering", fmt.Errorf("%s after the delete: %w", still, err))
	}
	_, err = waitFor(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		c, err := env.Cluster(ctx)
		if err != nil {
			return false, err
		}
		return !slices.ContainsFunc(ev.IPs, func(ip netip.Addr) bool { return slices.Contains(c.Held, ip) }), nil
	})
	ev.Freed = err == nil
	if err != nil {
		return failAt("free", fmt.Errorf("a Service still holds %s: %w", joinAddrs(ev.IPs), err))
	}
	return ev
}

// stillAnswered says, for every LB IP someone answers for, who does.
func stillAnswered(ev []L2Evidence) []string {
	var out []string
	for _, e := range ev {
		if len(e.MACs) > 0 {
			out = append(out, fmt.Sprintf("%s is still answered by %s (%s)", e.IP, strings.Join(e.Owners, ", "), strings.Join(e.MACs, ", ")))
		}
	}
	return out
}

// JudgeL2Withdraw passes when every step completed, every IP was answered
// by one eligible node before the delete and by nobody after it, and no
// Service holds the IPs any more. The TOR's neighbour entry after the
// delete is reported, not judged: Linux keeps a REACHABLE entry for
// base_reachable_time (~30 s) after its last confirmation, and verify does
// not wait that long.
func JudgeL2Withdraw(ev L2WithdrawEvidence) Outcome {
	if ev.Step != "" {
		return fail(ev, "step %q: %s", ev.Step, ev.Err)
	}
	if len(ev.IPs) == 0 {
		return fail(ev, "no LB IP to withdraw: the temporary Service %s got none", cmp.Or(ev.Service, "(none created)"))
	}
	var owners, entries []string
	reachable := false
	for _, ip := range ev.IPs {
		b, ok := l2For(ev.Before, ip)
		switch {
		case !ok || len(b.MACs) == 0:
			return fail(ev, "%s was not answered before the delete: nothing was withdrawn", ip)
		case l2Problem(b) != "":
			return fail(ev, "before the delete: %s", l2Problem(b))
		}
		a, ok := l2For(ev.After, ip)
		switch {
		case !ok:
			return fail(ev, "nobody looked at who answers for %s after the delete", ip)
		case len(a.MACs) > 0:
			return fail(ev, "%s is still answered by %s (%s) after the delete; %s owned it before",
				ip, strings.Join(a.Owners, ", "), strings.Join(a.MACs, ", "), l2Owner(b))
		}
		owners = append(owners, fmt.Sprintf("%s (%s)", ip, l2Owner(b)))
		entry, r := neighborNote(b, a)
		if len(ev.IPs) > 1 {
			entry = ip.String() + " " + entry
		}
		entries, reachable = append(entries, entry), reachable || r
	}
	if !ev.Freed {
		return fail(ev, "%s still held by a Service after the delete", joinAddrs(ev.IPs))
	}
	note := ""
	if reachable {
		note = " (Linux ages a REACHABLE entry to STALE ~30 s after its last confirmation; not waited for)"
	}
	return pass(ev, "%s: answered %s after allocation, no longer answered %s after delete, IP free; the TOR's neighbour entry: %s%s",
		strings.Join(owners, ", "), ms(ev.Owned), ms(ev.Withdrawn), strings.Join(entries, "; "), note)
}

// l2For returns the observation of ip.
func l2For(ev []L2Evidence, ip netip.Addr) (L2Evidence, bool) {
	i := slices.IndexFunc(ev, func(e L2Evidence) bool { return e.IP == ip })
	if i < 0 {
		return L2Evidence{}, false
	}
	return ev[i], true
}

// neighborNote describes the TOR's entry for a withdrawn IP: "none", or
// its MAC (named by the owner before the delete when it is theirs) and
// state; reachable is true for a REACHABLE entry.
func neighborNote(before, after L2Evidence) (note string, reachable bool) {
	mac, state, _ := strings.Cut(after.Neighbor, " ")
	if mac == "" {
		return "none", false
	}
	who := mac
	if len(before.MACs) == 1 && before.MACs[0] == mac {
		who = l2Owner(before) + "'s MAC"
	}
	if len(before.MACs) > 0 && before.MACs[0] != mac {
		who = mac + " (not " + l2Owner(before) + "'s)"
	}
	return fmt.Sprintf("%s %s", who, cmp.Or(state, "(no state)")), strings.Contains(state, "REACHABLE")
}
