package scenarios

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// AnnotationAccessLog is where the netns node agent says a pod's nginx
// access log is (a path on the node).
const AnnotationAccessLog = "lblab.dev/access-log"

// ETPEvidence is what etp-local saw.
type ETPEvidence struct {
	Service  string   `json:"service"`
	Replicas int32    `json:"replicas"`
	Nodes    int      `json:"nodes"`    // eligible under ETP=Cluster
	PodNodes []string `json:"podNodes"` // nodes with a ready endpoint
	// Before and After are the TOR's next hops under Cluster and Local.
	Before map[netip.Addr][]netip.Addr `json:"before,omitempty"`
	After  map[netip.Addr][]netip.Addr `json:"after,omitempty"`
	Want   map[netip.Addr][]netip.Addr `json:"want,omitempty"`
	Shrunk time.Duration               `json:"shrunk"` // from the switch to Local to the new next hops (0 in an L2 lab: see l2.moved)
	// ClientIPs are the client's addresses; Logged are the nginx access-log
	// lines that show one of them as the source.
	ClientIPs []netip.Addr `json:"clientIPs"`
	// Proxied is set when a proxy sits between the client and the nodes
	// (the external load balancer): ClientIPs are then the proxy's
	// addresses, the source nginx sees.
	Proxied bool `json:"proxied,omitempty"`
	// Requests and Answered count the client's requests to the LB IPs.
	Requests  int      `json:"requests"`
	Answered  int      `json:"answered"`
	Logged    []string `json:"logged,omitempty"`
	LogSource string   `json:"logSource,omitempty"` // "access log on the node" or "kubectl logs"
	// Unread are the pods whose log the last look could not read, and why.
	Unread []string `json:"unread,omitempty"`
	// L2 is what an L2 lab showed in place of Before, After and Want: who
	// answered ARP/NDP for each LB IP under Cluster and under Local.
	L2   *ETPL2 `json:"l2,omitempty"`
	Step string `json:"step,omitempty"`
	Err  string `json:"error,omitempty"`
}

func checkETPLocal() Check {
	return Check{Mutates: true, Timeout: 60 * time.Second,
		Description: "with externalTrafficPolicy: Local and fewer replicas than nodes, next hops shrink to the nodes with pods (L2: the owner moves to a node with a pod) and nginx logs the client's real IP",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			*attempt = 1
			if env.Topology().Controller.Mode == topology.ModeL2 {
				return JudgeL2ETPLocal(runETPLocal(ctx, env))
			}
			return JudgeETPLocal(runETPLocal(ctx, env))
		}}
}

func runETPLocal(ctx context.Context, env Env) (ev ETPEvidence) {
	failAt := func(step string, err error) ETPEvidence {
		ev.Step, ev.Err = step, err.Error()
		return ev
	}
	kc, err := env.Kube()
	if err != nil {
		return failAt("connect", err)
	}
	w, base, err := baseService(ctx, env)
	if err != nil {
		return failAt("find the topology's Service", err)
	}
	client, ok := firstHost(env, lab.RoleClient)
	if !ok {
		return failAt("find the client", fmt.Errorf("the lab has no client host"))
	}
	ev.ClientIPs = client.Addrs
	c, err := env.Cluster(ctx)
	if err != nil {
		return failAt("read the cluster", err)
	}
	for _, n := range c.Nodes {
		if !n.Excluded && !n.NetworkUnavailable {
			ev.Nodes++
		}
	}
	ev.Replicas = int32(max(1, ev.Nodes-1))
	l2 := env.Topology().Controller.Mode == topology.ModeL2
	if l2 && int(ev.Replicas) >= ev.Nodes {
		return ev // JudgeL2ETPLocal skips: no owner could move to another node
	}
	name := TempPrefix + "etp"
	labels := map[string]string{"app": name}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: base.Namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &ev.Replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: w.Image,
					Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}}}}}
	deps := kc.AppsV1().Deployments(base.Namespace)
	// A leftover of an interrupted run goes first, with its pods: they carry
	// the labels the Service selects.
	fg := metav1.DeletePropagationForeground
	_ = deps.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &fg})
	if err := waitGone(ctx, func(ctx context.Context) error {
		_, err := deps.Get(ctx, name, metav1.GetOptions{})
		return err
	}); err != nil {
		return failAt("delete a leftover Deployment", err)
	}
	if _, err := deps.Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		return failAt("create the Deployment", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := deps.Delete(cctx, name, metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil && !apierrors.IsNotFound(err) {
			fmt.Fprintf(os.Stderr, "WARNING: failed to delete Deployment %s/%s: %v\n", base.Namespace, name, err)
		}
	}()
	svc := tempService(base, name)
	svc.Spec.Selector = labels
	svc.Spec.Ports = []corev1.ServicePort{{Name: "http", Port: base.Spec.Ports[0].Port, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}}
	ev.Service = svc.Namespace + "/" + svc.Name
	cleanup, err := createService(ctx, kc, svc)
	defer cleanup()
	if err != nil {
		return failAt("create the Service", err)
	}
	si, _, err := waitIPs(ctx, kc, svc.Namespace, svc.Name, unservedFamilies(env.Topology()))
	if err != nil {
		return failAt("allocate", err)
	}
	if _, err := waitFor(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		si, err = ReadService(ctx, kc, svc.Namespace, svc.Name)
		return readyPods(si) >= int(ev.Replicas)*len(si.Families), err
	}); err != nil {
		return failAt("wait for ready endpoints", fmt.Errorf("%d of %d pods ready: %w", readyPods(si), ev.Replicas, err))
	}
	switch {
	case isExternal(env, si):
		if step, err := switchExternal(ctx, env, &si, &ev); err != nil {
			return failAt(step, err)
		}
	case l2:
		if step, err := switchL2(ctx, env, deps, name, &si, client, &ev); err != nil {
			return failAt(step, err)
		}
	default:
		if step, err := switchBGP(ctx, env, &si, &ev); err != nil {
			return failAt(step, err)
		}
	}
	// Send a few requests per LB IP and look for the client's address in
	// the access logs; the rules for Local may trail the routes a moment,
	// so keep sending until it shows up.
	_, err = waitFor(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		for _, ip := range si.LBIPs {
			if _, ok := client.Addr(ip.Is6()); !ok {
				continue
			}
			b, err := Fetch(ctx, client, URL(ip, si.Ports[0].Port), 2, 2)
			if err != nil {
				return false, err
			}
			ev.Requests, ev.Answered = ev.Requests+b.Sent, ev.Answered+b.OK
		}
		ev.Logged, ev.LogSource, ev.Unread, err = clientLogLines(ctx, env, kc, svc.Namespace, labels, ev.ClientIPs)
		return len(missingSources(ev)) == 0, err
	})
	if err != nil {
		unread := ""
		if len(ev.Unread) > 0 {
			unread = " (unread: " + strings.Join(ev.Unread, "; ") + ")"
		}
		return failAt("find the client's IP in nginx's log", fmt.Errorf("%d of %d requests answered, no log line from %s%s: %w",
			ev.Answered, ev.Requests, joinAddrs(ev.ClientIPs), unread, err))
	}
	return ev
}

// switchBGP waits for the TOR's routes under Cluster, switches the Service
// to Local and waits for the next hops to shrink to the nodes with pods.
func switchBGP(ctx context.Context, env Env, si *ServiceInfo, ev *ETPEvidence) (step string, err error) {
	cluster, _, err := waitNexthops(ctx, env, si)
	ev.Before = cluster.Got
	if err != nil {
		return "route under ETP=Cluster", err
	}
	if err := setLocal(ctx, env, *si); err != nil {
		return "switch to Local", err
	}
	local, d, err := waitNexthops(ctx, env, si)
	ev.After, ev.Shrunk, ev.Want, ev.PodNodes = local.Got, d, local.Want, local.Eligible
	if err != nil {
		return "route under ETP=Local", err
	}
	return "", nil
}

// switchExternal is switchBGP for the external load balancer: its "next
// hops" are the nodes of the UP servers of the lb host's backends. HAProxy
// proxies TCP, so the source nginx logs is the lb host's, not the
// client's: the evidence looks for that one.
func switchExternal(ctx context.Context, env Env, si *ServiceInfo, ev *ETPEvidence) (step string, err error) {
	lb, err := lbHost(env)
	if err != nil {
		return "find the lb host", err
	}
	ev.ClientIPs, ev.Proxied = lb.Addrs, true
	cluster, _, err := waitForwarded(ctx, env, si)
	ev.Before = cluster.Got
	if err != nil {
		return "forward under ETP=Cluster", err
	}
	if err := setLocal(ctx, env, *si); err != nil {
		return "switch to Local", err
	}
	local, d, err := waitForwarded(ctx, env, si)
	ev.After, ev.Shrunk, ev.Want, ev.PodNodes = local.Got, d, local.Want, local.Eligible
	if err != nil {
		return "health checks under ETP=Local", err
	}
	return "", nil
}

// setLocal sets the Service's externalTrafficPolicy to Local.
func setLocal(ctx context.Context, env Env, si ServiceInfo) error {
	kc, err := env.Kube()
	if err != nil {
		return err
	}
	patch := []byte(`{"spec":{"externalTrafficPolicy":"Local"}}`)
	_, err = kc.CoreV1().Services(si.Namespace).Patch(ctx, si.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

func readyPods(si ServiceInfo) int {
	n := 0
	for _, ep := range si.Endpoints {
		if ep.Ready {
			n++
		}
	}
	return n
}

func firstHost(env Env, r lab.Role) (lab.Node, bool) {
	hs := hostsByRole(env, r)
	if len(hs) == 0 {
		return lab.Node{}, false
	}
	return hs[0], true
}

// clientLogLines returns the access-log lines of the selected pods whose
// source address is one of ips: from the file the netns node agent names
// in the pod's annotation (read on the pod's node), else from the
// container's log (kind: nginx logs to stdout). unread says which pods'
// logs could not be read, and why.
func clientLogLines(ctx context.Context, env Env, kc kubernetes.Interface, ns string, labels map[string]string, ips []netip.Addr) (lines []string, source string, unread []string, err error) {
	pods, err := kc.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: metav1.FormatLabelSelector(&metav1.LabelSelector{MatchLabels: labels})})
	if err != nil {
		return nil, "", nil, err
	}
	for _, p := range pods.Items {
		var data []byte
		if path := p.Annotations[AnnotationAccessLog]; path != "" {
			h, ok := host(env, p.Spec.NodeName)
			if !ok {
				unread = append(unread, fmt.Sprintf("%s: its node %q is no lab host", p.Name, p.Spec.NodeName))
				continue
			}
			if data, err = h.Command(ctx, "cat", path); err != nil {
				unread = append(unread, fmt.Sprintf("%s: %v", p.Name, err))
				continue
			}
			source = "access log on the node"
		} else {
			if data, err = kc.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(ctx); err != nil {
				unread = append(unread, fmt.Sprintf("%s: %v", p.Name, err))
				continue
			}
			source = "kubectl logs"
		}
		lines = append(lines, MatchClientLines(string(data), ips)...)
	}
	return lines, source, unread, nil
}

// MatchClientLines returns the log lines (combined format, source address
// first) whose source is one of ips.
func MatchClientLines(log string, ips []netip.Addr) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if a, err := netip.ParseAddr(f[0]); err == nil && slices.Contains(ips, a.Unmap()) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// missingSources returns the client addresses (one per LB IP family) that
// no access-log line shows as the source.
func missingSources(ev ETPEvidence) []netip.Addr {
	var out []netip.Addr
	for _, c := range ev.ClientIPs {
		wanted := false
		for _, ip := range etpIPs(ev) {
			wanted = wanted || ip.Is4() == c.Is4()
		}
		if !wanted {
			continue
		}
		found := false
		for _, l := range ev.Logged {
			if a, err := netip.ParseAddr(firstField(l)); err == nil && a.Unmap() == c {
				found = true
			}
		}
		if !found {
			out = append(out, c)
		}
	}
	return out
}

// JudgeETPLocal passes when the steps completed, the next hops under Local
// equal the nodes with endpoints, there are fewer of them than under
// Cluster, and nginx logged the client's own address.
func JudgeETPLocal(ev ETPEvidence) Outcome {
	if ev.Step != "" {
		return fail(ev, "step %q: %s", ev.Step, ev.Err)
	}
	if int(ev.Replicas) >= ev.Nodes {
		return skip("etp-local needs more eligible nodes than pods: %d pods on %d nodes cannot show next hops shrinking", ev.Replicas, ev.Nodes)
	}
	for ip, want := range ev.Want {
		if len(want) == 0 {
			return fail(ev, "%s has no next hop to expect under ETP=Local: no node holds a ready endpoint", ip)
		}
		if p := nexthopProblem(want, ev.After[ip]); p != "" {
			return fail(ev, "%s under ETP=Local: %s", ip, p)
		}
		if len(ev.After[ip]) >= len(ev.Before[ip]) {
			return fail(ev, "%s: next hops did not shrink (%d under Cluster, %d under Local) with %d pods on %d nodes",
				ip, len(ev.Before[ip]), len(ev.After[ip]), ev.Replicas, ev.Nodes)
		}
	}
	if len(ev.Want) == 0 {
		return fail(ev, "no LB IP observed")
	}
	if p := clientProblem(ev); p != "" {
		return fail(ev, "%s", p)
	}
	var parts []string
	for ip := range ev.After {
		parts = append(parts, fmt.Sprintf("%s: %d→%d next hops", ip, len(ev.Before[ip]), len(ev.After[ip])))
	}
	slices.Sort(parts)
	if ev.Proxied {
		return pass(ev, "%s (HAProxy's UP servers) in %s; nginx logged the lb host's %s: the proxy does not preserve the client's address",
			strings.Join(parts, ", "), ms(ev.Shrunk), joinAddrs(ev.ClientIPs))
	}
	return pass(ev, "%s in %s; nginx logged the client's own %s", strings.Join(parts, ", "), ms(ev.Shrunk), joinAddrs(ev.ClientIPs))
}

// clientProblem says what is wrong with the client's side of etp-local:
// no answer, no address of an LB IP's family, or no log line with its
// own address; "" when nothing is.
func clientProblem(ev ETPEvidence) string {
	if ev.Answered == 0 {
		return fmt.Sprintf("none of the client's %d requests was answered under ETP=Local", ev.Requests)
	}
	for _, ip := range etpIPs(ev) {
		if !hasFamily(ev.ClientIPs, ip.Is6()) {
			return fmt.Sprintf("the client has no %s address to show its own address in nginx's log for %s", familyName(ip.Is6()), ip)
		}
	}
	if miss := missingSources(ev); len(miss) > 0 {
		return fmt.Sprintf("nginx did not log the client's address %s (source NAT?)", joinAddrs(miss))
	}
	return ""
}

// etpIPs are the LB IPs etp-local looked at: those with next hops to
// expect, and in an L2 lab those observed under Local.
func etpIPs(ev ETPEvidence) []netip.Addr {
	var out []netip.Addr
	for ip := range ev.Want {
		out = append(out, ip)
	}
	if ev.L2 != nil {
		for _, e := range ev.L2.After {
			if e.IP.IsValid() {
				out = append(out, e.IP)
			}
		}
	}
	return out
}

func firstField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
