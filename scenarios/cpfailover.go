package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lblab/lblab/internal/k8s/controlplane"
	"github.com/lblab/lblab/internal/lab"
)

// The two faults of cp-failover, in the order they run.
const (
	FaultAPIServer = "kube-apiserver stop"
	FaultHost      = "host down"
)

// cp-failover's pacing: requests before the fault (all must succeed),
// the longest wait for the VIP route to drop or regain the node, and how
// long requests go on after it dropped (all started a request timeout
// after the drop must succeed).
const (
	cpBaseline     = 1500 * time.Millisecond
	cpRouteTimeout = 20 * time.Second
	cpAfterDrop    = 3 * time.Second
	cpFreezeGuard  = 40 // s: a frozen kube-apiserver thaws by itself after this
)

// CPFailoverRun is one fault on one control-plane node, timed from the
// fault.
type CPFailoverRun struct {
	Fault string `json:"fault"`
	Node  string `json:"node"`
	// Step and Err say where the run stopped short, when it did.
	Step string `json:"step,omitempty"`
	Err  string `json:"err,omitempty"`
	// Dropped is when the TOR's route for every VIP lost the node;
	// Recovered when requests through the VIP succeeded again for good
	// (the start of the first request after the last failed one; 0 when
	// none failed).
	Dropped   time.Duration `json:"dropped"`
	Recovered time.Duration `json:"recovered"`
	// Requests and Failed count the client's requests through the VIPs
	// that ended after the fault; FailedBefore those that ended before it
	// and failed, and FailedLate those started a request timeout after the
	// drop that still failed.
	Requests     int      `json:"requests"`
	Failed       int      `json:"failed"`
	FailedBefore int      `json:"failedBefore"`
	FailedLate   int      `json:"failedLate"`
	Reasons      []string `json:"reasons,omitempty"`
	// QuorumWrite is "" when a ConfigMap could be written and deleted
	// through the VIP while the node was down (etcd kept its quorum), else
	// the error; Written is when the write went through (etcd had a
	// leader again). Only for FaultHost.
	QuorumWrite string        `json:"quorumWrite,omitempty"`
	Written     time.Duration `json:"written,omitempty"`
	// Back is how long after the restore the route had the node again.
	Back time.Duration `json:"back"`
}

// CPFailoverEvidence is both runs.
type CPFailoverEvidence struct {
	VIPs []netip.Addr    `json:"vips"`
	Runs []CPFailoverRun `json:"runs"`
	// L2 is set in L2 mode: Dropped is when another node answered ARP/NDP
	// for every VIP, Back when the node alone answered again.
	L2 bool `json:"l2,omitempty"`
}

func checkCPFailover() Check {
	return Check{Description: "stopping one kube-apiserver, then cutting a whole control-plane node off, drops it from the VIP's route (in L2 mode: another node answers ARP/NDP for the VIP); requests through the VIP succeed again and etcd keeps its quorum",
		Mutates: true, Timeout: 120 * time.Second,
		Run: func(ctx context.Context, env Env, _ *int) Outcome {
			if why := noVIP(env); why != "" {
				return skip("%s", why)
			}
			cps := hostsByRole(env, lab.RoleControlPlane)
			if len(cps) < 3 {
				return skip("the lab has %d control-plane node(s): a failover needs 3, so that etcd keeps a quorum without one", len(cps))
			}
			ev := CPFailoverEvidence{VIPs: env.Topology().ControlPlane.VIPs(), L2: vipL2(env)}
			// The last control-plane node (every one is a next hop), and in
			// L2 mode the node that answers for the VIP: a fault elsewhere
			// moves nothing.
			target := cps[len(cps)-1]
			if ev.L2 {
				owner, err := vipOwner(ctx, env, ev.VIPs)
				if err != nil {
					return errOutcome(err)
				}
				target = owner
			}
			for _, fault := range []string{FaultAPIServer, FaultHost} {
				run := runCPFault(ctx, env, target, fault, ev.VIPs)
				ev.Runs = append(ev.Runs, run)
				if run.Step != "" {
					break
				}
			}
			return JudgeCPFailover(ev)
		}}
}

// vipNexthop is the node's VIP speaker address of v's family.
func vipNexthop(h lab.Node, v netip.Addr) (netip.Addr, bool) {
	for _, a := range h.VIPAddrs {
		if a.Is6() == v.Is6() {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// waitVIPRoutes waits until every VIP's route has (present) or lacks the
// node, and returns how long that took. In L2 mode it waits until the node
// alone answers for every VIP (present), or another node does.
func waitVIPRoutes(ctx context.Context, env Env, h lab.Node, vips []netip.Addr, present bool) (time.Duration, error) {
	if vipL2(env) {
		return waitVIPOwner(ctx, env, h, vips, present)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, cpRouteTimeout)
	defer cancel()
	for _, v := range vips {
		nh, ok := vipNexthop(h, v)
		if !ok {
			return 0, fmt.Errorf("%s has no VIP speaker address of %s's family", h.Name, v)
		}
		if last, err := waitNexthop(ctx, env, v, nh, present); err != nil {
			return 0, fmt.Errorf("the TOR's route for %s has next hops %v, want %s %s: %w", v, last, nh,
				map[bool]string{true: "among them", false: "gone"}[present], err)
		}
	}
	return time.Since(start), nil
}

// freezeAPIServer stops (SIGSTOP) the kube-apiserver of the node's own
// network namespace, as a hung one; a guard thaws it after cpFreezeGuard
// seconds should the check die. The restore thaws it.
func freezeAPIServer(ctx context.Context, h lab.Node) (func(context.Context) error, error) {
	script := fmt.Sprintf(`me=$(readlink /proc/self/ns/net); found=
for p in $(pgrep -x kube-apiserver); do
  [ "$(readlink /proc/$p/ns/net)" = "$me" ] && found="$found $p"
done
[ -n "$found" ] || { echo "no kube-apiserver runs in this node" >&2; exit 1; }
S=; command -v setsid >/dev/null 2>&1 && S=setsid
$S sh -c "sleep %d; kill -CONT $found" </dev/null >/dev/null 2>&1 &
kill -STOP $found && echo $found`, cpFreezeGuard)
	out, err := h.Command(ctx, "sh", "-c", script)
	if err != nil {
		return nil, fmt.Errorf("failed to stop %s's kube-apiserver: %w", h.Name, err)
	}
	pids := strings.Fields(string(out))
	return func(ctx context.Context) error {
		_, err := h.Command(ctx, "kill", append([]string{"-CONT"}, pids...)...)
		return err
	}, nil
}

// quorumWrite writes and deletes a ConfigMap with kubectl from the client
// through the VIP, as a user would: a new process, so a new connection,
// which the TOR sends to a live control-plane node (a long-lived one to
// the node that went down hangs until its client gives up on it). A write
// needs a majority of etcd, and a leader: one that was on the lost node
// is replaced after etcd's election timeout, so it tries again every
// 500 ms for up to 15 s, and returns when the write went through, or the
// last error.
func quorumWrite(ctx context.Context, env Env) (time.Time, string) {
	client, ok := host(env, "client")
	if !ok {
		return time.Time{}, "the lab has no client host"
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	kubectl := []string{"--kubeconfig=" + lab.Kubeconfig(env.Name()), "--request-timeout=3s", "-n", metav1.NamespaceDefault}
	bin := labKubectl(env)
	var last string
	for {
		name := fmt.Sprintf("lblab-cp-failover-%d", time.Now().UnixNano())
		_, err := client.Command(ctx, bin, append(kubectl, "create", "configmap", name, "--from-literal=written=yes")...)
		if err == nil {
			done := time.Now()
			if _, err := client.Command(ctx, bin, append(kubectl, "delete", "configmap", name)...); err != nil {
				return done, "kubectl delete configmap: " + lastLine(err.Error())
			}
			return done, ""
		}
		last = "kubectl create configmap: " + lastLine(err.Error())
		select {
		case <-ctx.Done():
			return time.Time{}, last
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// lastLine is the last line of a command's error, where its stderr ends.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// vipURLs are the client's request URLs: /readyz of every VIP, which a
// kube-apiserver serves without credentials.
func vipURLs(vips []netip.Addr) []string {
	out := make([]string, len(vips))
	for i, v := range vips {
		out[i] = controlplane.URL(v, controlplane.APIServerPort) + "/readyz"
	}
	return out
}
