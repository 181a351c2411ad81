package scenarios

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/k8s/controlplane"
	"github.com/lblab/lblab/internal/lab"
)

// CPVIPEvidence is what cp-vip read: which control-plane nodes' own
// kube-apiserver answered /readyz, the TOR's next hops for each VIP, and
// what `kubectl get nodes` through each VIP from the client printed.
type CPVIPEvidence struct {
	// Ready maps each control-plane node to "" (ready) or why not.
	Ready map[string]string `json:"ready"`
	// Want and Got are each VIP's expected and actual next hops.
	Want map[netip.Addr][]netip.Addr `json:"want"`
	Got  map[netip.Addr][]netip.Addr `json:"got"`
	// Owners names the node of each next hop address.
	Owners map[netip.Addr]string `json:"owners"`
	// Kubectl maps each VIP to the Nodes kubectl listed through it, or
	// its error; Nodes are the cluster's Nodes.
	Kubectl map[netip.Addr]string `json:"kubectl"`
	Nodes   []string              `json:"nodes"`
	// NodesErr is why the Nodes could not be listed through the admin
	// kubeconfig, which names the VIP too.
	NodesErr string `json:"nodesErr,omitempty"`
	// Answered, in L2 mode (instead of Want and Got), names the nodes
	// whose MACs answered the TOR's ARP request or Neighbor Solicitation
	// for each VIP.
	Answered map[netip.Addr][]string `json:"answered,omitempty"`
}

// noVIP says why a lab has no API server VIP to judge, or "".
func noVIP(env Env) string {
	if cp := env.Topology().ControlPlane; cp == nil || len(cp.VIPs()) == 0 {
		return "the lab has no API server VIP (controlPlane is unset); the ha-control-plane topology has one"
	}
	return ""
}

func checkCPVIP() Check {
	return Check{Description: "the TOR routes the API server VIP to exactly the control-plane nodes whose kube-apiserver answers /readyz (in L2 mode: exactly one of them answers ARP/NDP for it), and kubectl from the client through the VIP lists every Node",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			if why := noVIP(env); why != "" {
				return skip("%s", why)
			}
			return poll(ctx, attempt, func(ctx context.Context) Outcome {
				ev, err := readCPVIP(ctx, env)
				if err != nil {
					return errOutcome(err)
				}
				return JudgeCPVIP(ev)
			})
		}}
}

// readyzArgs is wget's command line for a control-plane node's own
// kube-apiserver /readyz, trusting the lab's CA.
func readyzArgs(env Env, url string) []string {
	return []string{"wget", "-q", "-O", "-", "-T", "2", "-t", "1", "--ca-certificate=" + labCACert(env), url}
}

// observeTimeout bounds each API read of one cp-vip observation: a
// ready API server answers in milliseconds.
const observeTimeout = 3 * time.Second

func readCPVIP(ctx context.Context, env Env) (CPVIPEvidence, error) {
	vips := env.Topology().ControlPlane.VIPs()
	ev := CPVIPEvidence{Ready: map[string]string{}, Kubectl: map[netip.Addr]string{}}
	cps := hostsByRole(env, lab.RoleControlPlane)
	for _, h := range cps {
		lo := netip.MustParseAddr("127.0.0.1")
		if len(h.Addrs) > 0 && h.Addrs[0].Is6() {
			lo = netip.IPv6Loopback()
		}
		args := readyzArgs(env, controlplane.URL(lo, controlplane.APIServerPort)+"/readyz")
		out, err := h.Command(ctx, args[0], args[1:]...)
		switch {
		case err != nil:
			ev.Ready[h.Name] = firstLine(err.Error())
		case strings.TrimSpace(string(out)) != "ok":
			ev.Ready[h.Name] = firstLine(string(out))
		default:
			ev.Ready[h.Name] = ""
		}
	}
	if vipL2(env) {
		answered, err := VIPAnswers(ctx, env, vips)
		if err != nil {
			return ev, err
		}
		ev.Answered = answered
	} else {
		ev.Want, ev.Owners = vipNexthops(cps, vips, ev.Ready)
		got, err := fibNexthops(ctx, env, vips)
		if err != nil {
			return ev, err
		}
		ev.Got = got
	}
	// The admin kubeconfig names the VIP too. Right after an API server
	// hangs, the TOR may still send this connection to it, where the TLS
	// handshake would wait client-go's 10 s; bound the read so that the
	// next observation, on the converged route, comes in time.
	cctx, cancel := context.WithTimeout(ctx, observeTimeout)
	defer cancel()
	if c, err := env.Cluster(cctx); err != nil {
		ev.NodesErr = firstLine(err.Error())
	} else {
		for _, n := range c.Nodes {
			ev.Nodes = append(ev.Nodes, n.Name)
		}
	}
	client, ok := host(env, "client")
	if !ok {
		return ev, fmt.Errorf("the lab has no client host")
	}
	for _, v := range vips {
		out, err := client.Command(ctx, labKubectl(env), "--kubeconfig="+lab.Kubeconfig(env.Name()), "--request-timeout="+observeTimeout.String(),
			"--server="+controlplane.URL(v, controlplane.APIServerPort), "get", "nodes", "-o", "name")
		if err != nil {
			ev.Kubectl[v] = "error: " + firstLine(err.Error())
			continue
		}
		ev.Kubectl[v] = strings.Join(strings.Fields(strings.ReplaceAll(string(out), "node/", "")), " ")
	}
	return ev, nil
}

// vipNexthops are the next hops each VIP's route should have in BGP mode
// (the VIP speaker addresses of the control-plane nodes whose
// kube-apiserver is ready), and the node of every VIP speaker address.
func vipNexthops(cps []lab.Node, vips []netip.Addr, ready map[string]string) (want map[netip.Addr][]netip.Addr, owners map[netip.Addr]string) {
	want, owners = map[netip.Addr][]netip.Addr{}, map[netip.Addr]string{}
	for _, h := range cps {
		for _, a := range h.VIPAddrs {
			owners[a] = h.Name
		}
	}
	for _, v := range vips {
		want[v] = []netip.Addr{}
		for _, h := range cps {
			if ready[h.Name] != "" {
				continue
			}
			for _, a := range h.VIPAddrs {
				if a.Is6() == v.Is6() {
					want[v] = append(want[v], a)
				}
			}
		}
	}
	return want, owners
}

// JudgeCPVIP passes when every VIP's next hops are exactly the ready
// control-plane nodes' VIP addresses (in L2 mode: exactly one ready node
// answers for it), at least one is ready, and kubectl through each VIP
// listed every Node.
func JudgeCPVIP(ev CPVIPEvidence) Outcome {
	var problems, notReady []string
	ready := 0
	for _, name := range slices.Sorted(maps.Keys(ev.Ready)) {
		if why := ev.Ready[name]; why != "" {
			notReady = append(notReady, fmt.Sprintf("%s's kube-apiserver is not ready (%s), so it must not be a next hop", name, why))
		} else {
			ready++
		}
	}
	name := func(as []netip.Addr) string {
		var s []string
		for _, a := range as {
			s = append(s, fmt.Sprintf("%s (%s)", a, cmp.Or(ev.Owners[a], "not a control-plane node")))
		}
		if len(s) == 0 {
			return "none"
		}
		return strings.Join(s, ", ")
	}
	l2 := ev.Answered != nil
	vips := slices.SortedFunc(maps.Keys(ev.Want), netip.Addr.Compare)
	if l2 {
		vips = slices.SortedFunc(maps.Keys(ev.Answered), netip.Addr.Compare)
	}
	if ev.NodesErr != "" {
		problems = append(problems, "the admin kubeconfig (through the VIP) could not list the Nodes: "+ev.NodesErr)
	}
	for _, v := range vips {
		want, got := sortAddrs(ev.Want[v]), sortAddrs(ev.Got[v])
		switch {
		case l2:
			if p := judgeVIPAnswers(v, ev.Answered[v], ev.Ready); p != "" {
				problems = append(problems, p)
			}
		case !slices.Equal(want, got):
			problems = append(problems, fmt.Sprintf("the TOR routes %s to %s, want %s", v, name(got), name(want)))
		}
		listed := strings.Fields(ev.Kubectl[v])
		sort.Strings(listed)
		nodes := slices.Sorted(slices.Values(ev.Nodes))
		switch {
		case ev.NodesErr == "" && !slices.Equal(listed, nodes):
			problems = append(problems, fmt.Sprintf("kubectl get nodes through %s from the client: %q, want %v", v, ev.Kubectl[v], nodes))
		case ev.NodesErr != "" && strings.HasPrefix(ev.Kubectl[v], "error: "):
			// No Nodes to compare with, but the client's failure is evidence too.
			problems = append(problems, fmt.Sprintf("kubectl get nodes through %s from the client: %s", v, ev.Kubectl[v]))
		}
	}
	if ready == 0 {
		problems = append(problems, "no control-plane node has a ready kube-apiserver")
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(append(problems, notReady...), "; "))
	}
	note := ""
	if len(notReady) > 0 {
		note = " (" + strings.Join(notReady, "; ") + ")"
	}
	var per []string
	if l2 {
		for _, v := range vips {
			per = append(per, fmt.Sprintf("%s answered by %s", v, ev.Answered[v][0]))
		}
		return pass(ev, "%s: one of the %d control-plane nodes with a ready kube-apiserver%s; kubectl through the VIP lists all %d Nodes",
			strings.Join(per, ", "), ready, note, len(ev.Nodes))
	}
	for _, v := range vips {
		per = append(per, fmt.Sprintf("%s → %d next hops", v, len(ev.Got[v])))
	}
	return pass(ev, "%s: exactly the %d control-plane nodes with a ready kube-apiserver%s; kubectl through the VIP lists all %d Nodes",
		strings.Join(per, ", "), ready, note, len(ev.Nodes))
}

func sortAddrs(as []netip.Addr) []netip.Addr {
	out := slices.Clone(as)
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// labCACert and labKubectl are the lab's CA certificate and kubectl on
// the machine (netns hosts share its file system).
func labCACert(env Env) string { return filepath.Join(lab.StateDir(env.Name()), "pki", "ca.crt") }

func labKubectl(env Env) string { return filepath.Join(lab.StateDir(env.Name()), "bin", "kubectl") }
