package scenarios

import (
	"context"
	"net/netip"
	"time"
)

// L2FailoverEvidence is what l2-failover measured: an LB IP owner's
// speaker frozen, then (separately) the owner's fabric link taken down.
type L2FailoverEvidence struct {
	Service     string        `json:"service"`
	SpeakerStop L2FailoverRun `json:"speakerStop"`
	LinkDown    L2FailoverRun `json:"linkDown"`
}

// L2FailoverRun is one fault: which owner it hit, where its LB IPs went,
// how long the client waited and how many of its requests failed.
type L2FailoverRun struct {
	Fault string `json:"fault"` // "speaker stop" or "link down"
	// Node is the owner the fault hit: the owner of the Service's first
	// LB IP (of a family the client has an address of).
	Node string `json:"node"`
	// Interface is the node's fabric interface (link down).
	Interface string `json:"interface,omitempty"`
	// IPs are the LB IPs Node owned, one per client family; Others are the
	// tracked ones another node owned ("IP (node)"), which do not move.
	IPs    []L2Move `json:"ips"`
	Others []string `json:"others,omitempty"`
	// Budget is how long the run waited for the IPs to move.
	Budget time.Duration `json:"budget"`
	// Requests and Failed count the client's requests from shortly before
	// the fault until every IP moved (and the requests then in flight
	// ended); AfterSwitch counts the failures of requests sent after their
	// IP's switch: with the link down, the new owner still balances to the
	// pods on the cut-off node.
	Requests    int            `json:"requests"`
	Failed      int            `json:"failed"`
	AfterSwitch int            `json:"failedAfterSwitch"`
	Failures    map[string]int `json:"failures,omitempty"`
	// RestoreAt is when the speaker or the link was restored, from the
	// fault; Settled how long after that each LB IP had the one owner
	// (l2-owner's rules) it then kept for l2Stable, the node's Lease
	// renewed again.
	RestoreAt time.Duration `json:"restoreAt,omitempty"`
	Settled   time.Duration `json:"settled,omitempty"`
	// ProbeErr is why the last look at who answers failed, if it did.
	ProbeErr string `json:"probeError,omitempty"`
	// Timeline is every client request, as offsets from the fault.
	Timeline []L2Request `json:"timeline,omitempty"`
	Step     string      `json:"step,omitempty"`
	Err      string      `json:"error,omitempty"`
}

// L2Move is one LB IP of a fault's node: who owned it, when the TOR
// switched to another MAC, when the client's requests succeeded again and
// who answers then.
type L2Move struct {
	IP       netip.Addr `json:"ip"`
	Eligible []string   `json:"eligible"`
	OldOwner string     `json:"oldOwner"`
	OldMAC   string     `json:"oldMAC"`
	// Switched is from the fault until the TOR's neighbour entry for IP
	// held another MAC (SwitchedMAC), 0 if it never did.
	Switched    time.Duration `json:"switched,omitempty"`
	SwitchedMAC string        `json:"switchedMAC,omitempty"`
	// Restored is from the fault until the end of the first request to IP
	// that was sent after the switch and succeeded, 0 if none did.
	Restored time.Duration `json:"restored,omitempty"`
	// Answers are the nodes that answered the TOR's probe for IP after
	// the switch ("?" for a MAC no node has); NewOwner and NewMAC are set
	// when exactly one did.
	Answers  []string `json:"answers,omitempty"`
	NewOwner string   `json:"newOwner,omitempty"`
	NewMAC   string   `json:"newMAC,omitempty"`
	Requests int      `json:"requests"`
	Failed   int      `json:"failed"`
	// OwnerAfter owns IP once the lab settled after the restore.
	OwnerAfter string `json:"ownerAfter,omitempty"`
}

// L2Request is one client request of an l2-failover run (a batch of one).
type L2Request struct {
	IP netip.Addr `json:"ip"`
	FailoverBatch
	Reason string `json:"reason,omitempty"`
}

// The budgets of l2-failover: how long an IP may take to move, and how
// long the lab may take to settle after the restore (a speaker whose
// connection to the API server went quiet for long may take a while to
// renew again).
const (
	l2MoveBudget   = 15 * time.Second
	l2SettleBudget = 30 * time.Second
)

func checkL2Failover() Check {
	return Check{Mutates: true, Timeout: 150 * time.Second,
		Description: "in L2 mode, freezing an LB IP owner's speaker, then taking the owner's link down, moves the IP to another eligible node and the client's requests succeed again through it (times and failed requests reported)",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			if out, ok := l2Only(env); !ok {
				return out
			}
			*attempt = 1
			if env.Speakers() == nil {
				return skip("the backend cannot stop a speaker")
			}
			return JudgeL2Failover(runL2Failover(ctx, env))
		}}
}

// runL2Failover runs both faults on the first LoadBalancer Service with
// an LB IP; the link-down run follows only when the speaker-stop run
// restored the lab.
func runL2Failover(ctx context.Context, env Env) L2FailoverEvidence {
	ev := L2FailoverEvidence{
		SpeakerStop: L2FailoverRun{Fault: "speaker stop", Budget: l2MoveBudget},
		LinkDown:    L2FailoverRun{Fault: "link down", Budget: l2MoveBudget},
	}
	svc, err := l2FailoverService(ctx, env)
	if err != nil {
		ev.SpeakerStop.Step, ev.SpeakerStop.Err = "find an LB IP", err.Error()
		ev.LinkDown.Step, ev.LinkDown.Err = "not run", "the speaker-stop run failed first"
		return ev
	}
	ev.Service = svc.Key()
	ev.SpeakerStop = runL2Fault(ctx, env, svc, ev.SpeakerStop, speakerFault)
	if ev.SpeakerStop.Step != "" {
		ev.LinkDown.Step, ev.LinkDown.Err = "not run", "the speaker-stop run failed first"
		return ev
	}
	ev.LinkDown = runL2Fault(ctx, env, svc, ev.LinkDown, linkFault)
	return ev
}
