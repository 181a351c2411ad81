package netns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	kubeletapis "k8s.io/kubelet/pkg/apis"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/k8s/kubeproxy"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// envSelf overrides the lblab binary that the lab runs (node agents,
// controller, speakers and probes).
const envSelf = "LBLAB_SELF"

// Labels and taint that mark a control-plane node, as kubeadm sets them.
const (
	labelControlPlane   = "node-role.kubernetes.io/control-plane"
	labelExcludeFromLBs = "node.kubernetes.io/exclude-from-external-load-balancers"
	taintControlPlane   = "node-role.kubernetes.io/control-plane:NoSchedule"
)

const nodesReadyTimeout = 90 * time.Second

// selfBinary is the lblab binary that node agents run.
func selfBinary() (string, error) {
	if s := os.Getenv(envSelf); s != "" {
		return s, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("failed to find the lblab binary for the node agents (set %s): %w", envSelf, err)
	}
	return exe, nil
}

// k8sNode is one Kubernetes node of the lab with its wanted labels:
// those its own identity may set, and those lblab sets as admin (the
// NodeRestriction admission plugin forbids a node to set kubernetes.io
// labels other than the kubelet's).
type k8sNode struct {
	host
	self, admin map[string]string
	taints      []string
}

// k8sNodes pairs the plan's nodes with their topology labels.
func k8sNodes(t *topology.Topology, p *plan) []k8sNode {
	var out []k8sNode
	for i, h := range p.nodes {
		n := k8sNode{host: h, self: map[string]string{}, admin: map[string]string{}}
		labels := map[string]string{}
		for k, v := range t.Nodes.List[i].Labels {
			labels[k] = v
		}
		if h.role == lab.RoleControlPlane {
			labels[labelControlPlane] = ""
			labels[labelExcludeFromLBs] = ""
			n.taints = []string{taintControlPlane}
		}
		for k, v := range labels {
			if selfSettable(k) {
				n.self[k] = v
			} else {
				n.admin[k] = v
			}
		}
		out = append(out, n)
	}
	return out
}

// selfSettable mirrors NodeRestriction: a node may set any label outside
// the kubernetes.io and k8s.io namespaces, and the kubelet's own ones.
func selfSettable(key string) bool {
	ns, _, ok := strings.Cut(key, "/")
	if !ok {
		return true
	}
	under := func(d string) bool { return ns == d || strings.HasSuffix(ns, "."+d) }
	if under("node-restriction.kubernetes.io") {
		return false
	}
	if !under("kubernetes.io") && !under("k8s.io") {
		return true
	}
	return kubeletapis.IsKubeletLabel(key)
}

// nodeAgent is the node agent's daemon. Its command line is the contract
// with `lblab node-agent`. With Cilium, cilium-cni wires its pods
// (ciliumNodeAgent).
func (c *cluster) nodeAgent(self string, n k8sNode) (daemon, error) {
	argv := []string{self, "node-agent",
		"--kubeconfig", c.files.Nodes[n.name],
		"--node", n.name,
		"--lab", c.l.Name,
		"--role", string(n.role),
	}
	for _, a := range n.addrs {
		argv = append(argv, "--node-ip", a.Addr().String())
	}
	for _, k := range sortedKeys(n.self) {
		argv = append(argv, "--label", k+"="+n.self[k])
	}
	for _, t := range n.taints {
		argv = append(argv, "--register-with-taint", t)
	}
	argv = append(argv, "--run-dir", c.y.nodeRunDir(n.name))
	if n.guest {
		argv = append(argv, "--masquerade", "iptables") // no nf_tables for ip and ip6 in the guest kernel
	}
	var env []string
	if c.usesCilium() {
		flags, cniEnv, err := c.ciliumNodeAgent(n)
		if err != nil {
			return daemon{}, err
		}
		argv, env = append(argv, flags...), cniEnv
	}
	return daemon{name: "node agent on " + n.name, file: n.name + "-node-agent", ns: n.ns, guest: guestOf(n.host), argv: argv,
		env: env, stale: c.stale(c.files.Nodes[n.name])}, nil
}

// kubeProxy renders the node's kube-proxy configuration and returns its
// daemon (to be restarted when the configuration changed).
func (c *cluster) kubeProxy(n k8sNode) (daemon, error) {
	conf, err := kubeproxy.Render(kubeproxy.Config{
		Mode: string(c.l.Topology.Dataplane), Kubeconfig: c.files.KubeProxy, NodeName: n.name,
		NodeIPs: addrs(n.addrs), ClusterCIDRs: c.cfg.PodCIDRs, OwnKernel: n.guest,
	})
	if err != nil {
		return daemon{}, err
	}
	path := c.y.kubeProxyConfig(n.name)
	stale := c.stale(c.files.KubeProxy)
	if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, conf) {
		if err == nil {
			stale = "its configuration changed"
		}
		if err := lab.WriteFileAtomic(path, conf, 0o644); err != nil {
			return daemon{}, err
		}
	}
	argv := kubeproxy.Args(c.bins.Path(components.Proxy), path)
	return daemon{name: "kube-proxy on " + n.name, file: n.name + "-kube-proxy", ns: n.ns, guest: guestOf(n.host),
		argv: argv, stale: stale}, nil
}

// startNodes starts every node's agent and kube-proxy.
func (c *cluster) startNodes(ctx context.Context, nodes []k8sNode) ([]daemon, error) {
	self, err := selfBinary()
	if err != nil {
		return nil, err
	}
	if c.usesCilium() {
		cs, err := clientset(c.l.Kubeconfig())
		if err != nil {
			return nil, err
		}
		if err := c.prepareCilium(ctx, cs); err != nil {
			return nil, err
		}
	}
	var ds []daemon
	for _, n := range nodes {
		agent, err := c.nodeAgent(self, n)
		if err != nil {
			return nil, err
		}
		run := []daemon{agent}
		if c.usesCilium() {
			cil, err := c.ciliumAgent(self, n)
			if err != nil {
				return nil, err
			}
			run = []daemon{cil, agent}
		} else if c.runsDataplane(n.host) {
			kp, err := c.kubeProxy(n)
			if err != nil {
				return nil, err
			}
			run = append(run, kp)
		} else if err := c.procs.remove(ctx, c.l, daemon{name: "kube-proxy on " + n.name, file: n.name + "-kube-proxy"}); err != nil {
			return nil, err
		}
		for _, d := range run {
			if err := c.ensureDaemon(ctx, d); err != nil {
				return nil, err
			}
			ds = append(ds, d)
		}
	}
	return ds, nil
}

// waitNodes waits until every node is registered and Ready, applies the
// admin-only labels, and waits for every kube-proxy's /healthz.
func (c *cluster) waitNodes(ctx context.Context, nodes []k8sNode, ds []daemon) (err error) {
	step := c.l.Log.Start(fmt.Sprintf("Waiting for %d nodes to be Ready", len(nodes)))
	defer func() { step.End(err == nil) }()
	cs, err := clientset(c.l.Kubeconfig())
	if err != nil {
		return err
	}
	watch := append(append(c.controlPlane(), c.vipSpeakers()...), ds...)
	labelled := map[string]bool{}
	err = c.procs.waitUntil(ctx, "waiting for the nodes to be Ready", nodesReadyTimeout, watch, func(ctx context.Context) error {
		list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		var problems []string
		for _, n := range nodes {
			i := slices.IndexFunc(list.Items, func(o corev1.Node) bool { return o.Name == n.name })
			if i < 0 {
				problems = append(problems, n.name+" is not registered")
				continue
			}
			if !labelled[n.name] {
				if err := labelNode(ctx, cs, &list.Items[i], n.admin); err != nil {
					return err
				}
				labelled[n.name] = true
			}
			if p := notReady(&list.Items[i]); p != "" {
				problems = append(problems, n.name+" "+p)
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("%s", strings.Join(problems, "; "))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if c.usesCilium() {
		return c.waitCilium(ctx, nodes, watch)
	}
	return c.waitKubeProxies(ctx, nodes, watch)
}

// notReady says why a Node is not Ready and schedulable, or "". The node
// lifecycle controller removes its not-ready NoSchedule taint a moment
// after the Node turns Ready; until then pods would all land on the other
// nodes. (Its NoExecute twin goes at the next node-monitor-period, and
// pods tolerate it for 300 s by default, so it does not matter here.)
func notReady(n *corev1.Node) string {
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule &&
			(strings.HasPrefix(t.Key, "node.kubernetes.io/") || strings.HasPrefix(t.Key, "node.cloudprovider.kubernetes.io/")) {
			return fmt.Sprintf("has taint %s:%s", t.Key, t.Effect)
		}
	}
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			if cond.Status == corev1.ConditionTrue {
				return ""
			}
			return fmt.Sprintf("is not Ready (%s: %s)", cond.Reason, cond.Message)
		}
	}
	return "has no Ready condition yet"
}

// labelNode sets the labels a node may not set on itself.
func labelNode(ctx context.Context, cs kubernetes.Interface, n *corev1.Node, labels map[string]string) error {
	missing := map[string]string{}
	for k, v := range labels {
		if cur, ok := n.Labels[k]; !ok || cur != v {
			missing[k] = v
		}
	}
	if len(missing) == 0 {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": missing}})
	if _, err := cs.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("failed to label node %s: %w", n.Name, err)
	}
	return nil
}

// waitKubeProxies waits for every kube-proxy's /healthz on its node IP,
// which turns 200 once its rules are programmed.
func (c *cluster) waitKubeProxies(ctx context.Context, nodes []k8sNode, watch []daemon) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	defer hc.CloseIdleConnections()
	for _, n := range nodes {
		if !c.runsDataplane(n.host) {
			continue
		}
		url := fmt.Sprintf("http://%s/healthz", listenAddr(n.addrs[0].Addr(), kubeproxy.HealthzPort))
		err := c.procs.waitUntil(ctx, "waiting for kube-proxy on "+n.name+" "+url, nodesReadyTimeout, watch,
			func(ctx context.Context) error { return httpOK(ctx, hc, url) })
		if err != nil {
			return err
		}
	}
	return nil
}

// runsDataplane reports whether kube-proxy runs on a node: on every guest,
// and on netns hosts whose kernel has what the data plane needs. In a lab
// whose workers run on user-mode Linux for IPVS, the control-plane node
// (excluded from load balancers) runs none.
func (c *cluster) runsDataplane(h host) bool { return runsDataplane(c.p.dataplane, h, c.hostIPVS) }

func runsDataplane(dp topology.Dataplane, h host, hostIPVS bool) bool {
	return h.guest || dp != topology.DataplaneIPVS || hostIPVS
}

// guestOf names the guest a node's daemons run in, "" for a netns host.
func guestOf(h host) string {
	if h.guest {
		return h.name
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
