package netns

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/k8s/pki"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// testCluster lays out bgp-ecmp (or the given topology) without running
// anything.
func testCluster(t *testing.T, topo string, dual bool) *cluster {
	t.Helper()
	t.Setenv(lab.EnvStateDir, t.TempDir())
	t.Setenv(lab.EnvRunDir, t.TempDir())
	l := loadLab(t, topo, false)
	l.Name = "k8s-unit"
	l.Topology.Name = "k8s-unit"
	l.Topology.Network.IPv4Subnet = "10.89.7.0/24"
	if dual {
		l.Topology.Network.IPv6Subnet = "fd00:89:7::/64"
	}
	topology.SetDefaults(l.Topology) // what depends on the subnets, as up does
	p, err := newPlan(l.Topology)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newCluster(l, p)
	if err != nil {
		t.Fatal(err)
	}
	c.bins = components.Binaries{}
	for _, n := range components.Names() {
		c.bins[n] = "/cache/bin/" + n
	}
	c.cfg.Bins = c.bins
	if err := c.writePKI(); err != nil {
		t.Fatal(err)
	}
	return c
}

// The node agent's command line is the contract with `lblab node-agent`.
func TestNodeAgentCommandLine(t *testing.T) {
	c := testCluster(t, "bgp-ecmp-dual", true)
	c.l.Topology.Nodes.List[1].Labels = map[string]string{"rack": "b", "topology.kubernetes.io/zone": "z1",
		"node-role.kubernetes.io/worker": "", "a.example/x": "1"}
	nodes := k8sNodes(c.l.Topology, c.p)
	run := c.y.run
	state := c.y.state
	cp, err := c.nodeAgent("/usr/bin/lblab", nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/usr/bin/lblab", "node-agent",
		"--kubeconfig", state + "/kubeconfigs/node-control-plane.conf",
		"--node", "control-plane", "--lab", "k8s-unit", "--role", "control-plane",
		"--node-ip", "10.89.7.10", "--node-ip", "fd00:89:7::a",
		"--label", "node.kubernetes.io/exclude-from-external-load-balancers=",
		"--register-with-taint", "node-role.kubernetes.io/control-plane:NoSchedule",
		"--run-dir", run + "/nodes/control-plane"}
	if !slices.Equal(cp.argv, want) || len(cp.env) != 0 {
		t.Errorf("control-plane node agent:\n got %q %q\nwant %q", cp.argv, cp.env, want)
	}
	if cp.ns != "k8s-unit_control-plane" || cp.file != "control-plane-node-agent" {
		t.Errorf("ns %s file %s", cp.ns, cp.file)
	}
	// Labels sorted (a stable command line keeps a converging up from
	// restarting agents); kubernetes.io labels a node may not set go to
	// lblab's admin step instead.
	w, err := c.nodeAgent("/usr/bin/lblab", nodes[1])
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for i, a := range w.argv {
		if a == "--label" {
			labels = append(labels, w.argv[i+1])
		}
	}
	if !slices.Equal(labels, []string{"a.example/x=1", "rack=b", "topology.kubernetes.io/zone=z1"}) {
		t.Errorf("node1 --label values %q", labels)
	}
	if slices.Contains(w.argv, "--register-with-taint") || !slices.Contains(w.argv, "worker") {
		t.Errorf("node1: %q", w.argv)
	}
	if nodes[1].admin["node-role.kubernetes.io/worker"] != "" || len(nodes[1].admin) != 1 {
		t.Errorf("node1 admin labels %v", nodes[1].admin)
	}
	if _, ok := nodes[0].admin["node-role.kubernetes.io/control-plane"]; !ok {
		t.Errorf("control-plane admin labels %v", nodes[0].admin)
	}
}

func TestSelfSettable(t *testing.T) {
	for key, want := range map[string]bool{
		"rack": true, "example.com/x": true,
		"kubernetes.io/hostname": true, "topology.kubernetes.io/zone": true,
		"node.kubernetes.io/exclude-from-external-load-balancers": true,
		"kubelet.kubernetes.io/x":                                 true,
		"node-role.kubernetes.io/control-plane":                   false,
		"example.k8s.io/x":                                        false,
		"node-restriction.kubernetes.io/x":                        false,
	} {
		if got := selfSettable(key); got != want {
			t.Errorf("selfSettable(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestKubeProxyDaemon(t *testing.T) {
	c := testCluster(t, "bgp-ecmp", false)
	nodes := k8sNodes(c.l.Topology, c.p)
	d, err := c.kubeProxy(nodes[2])
	if err != nil {
		t.Fatal(err)
	}
	conf := c.y.kubeProxyConfig("node2")
	if !slices.Equal(d.argv, []string{"/cache/bin/kube-proxy", "--config=" + conf}) || d.ns != "k8s-unit_node2" || d.stale != "" {
		t.Errorf("daemon %+v", d)
	}
	data, _ := os.ReadFile(conf)
	for _, want := range []string{"mode: iptables", "hostnameOverride: node2", "maxPerCore: 0", "- 10.89.7.12/32",
		"clusterCIDR: 10.244.0.0/16", "kubeconfig: " + c.files.KubeProxy} {
		if !strings.Contains(string(data), want) {
			t.Errorf("kube-proxy config lacks %q:\n%s", want, data)
		}
	}
	if d, _ = c.kubeProxy(nodes[2]); d.stale != "" {
		t.Errorf("same configuration, stale = %q", d.stale)
	}
	c.l.Topology.Dataplane = topology.DataplaneNFTables
	if d, _ = c.kubeProxy(nodes[2]); d.stale != "its configuration changed" {
		t.Errorf("a new mode must restart kube-proxy; stale = %q", d.stale)
	}
}

func TestClusterLayout(t *testing.T) {
	c := testCluster(t, "bgp-ecmp-dual", true)
	if c.cp.name != "control-plane" || c.cfg.Server() != "https://10.89.7.10:6443" || !c.cfg.DualStack {
		t.Errorf("cp %s server %s dual %v", c.cp.name, c.cfg.Server(), c.cfg.DualStack)
	}
	api := strings.Join(c.apiServer(c.cp).argv, " ")
	for _, want := range []string{"--service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112", "--bind-address=::",
		"--advertise-address=10.89.7.10"} {
		if !strings.Contains(api, want) {
			t.Errorf("apiserver lacks %s", want)
		}
	}
	cert, err := os.ReadFile(c.files.APIServerCert)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := pki.ParseCert(cert)
	ips := pki.CertIPs(parsed)
	for _, want := range []string{"10.89.7.10", "fd00:89:7::a", "10.96.0.1", "fd00:10:96::1"} {
		if !slices.Contains(ips, netip.MustParseAddr(want)) {
			t.Errorf("serving cert lacks %s: %v", want, ips)
		}
	}
	if got := c.y.logFile("kube-apiserver"); got != filepath.Join(lab.StateDir("k8s-unit"), "logs", "kube-apiserver.log") {
		t.Errorf("log file %s", got)
	}
}

func TestNoControlPlane(t *testing.T) {
	t.Setenv(lab.EnvStateDir, t.TempDir())
	l := loadLab(t, "bgp-ecmp", false)
	l.Topology.Network.IPv4Subnet = "10.89.7.0/24"
	l.Topology.Nodes.List = l.Topology.Nodes.List[1:]
	p, err := newPlan(l.Topology)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newCluster(l, p); err == nil || !strings.Contains(err.Error(), "no control-plane node") {
		t.Errorf("err = %v", err)
	}
}

func TestControllerServiceAccounts(t *testing.T) {
	sa := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: name}
	}
	crbs := []rbacv1.ClusterRoleBinding{
		{ObjectMeta: metav1.ObjectMeta{Name: "system:controller:deployment-controller"}, Subjects: []rbacv1.Subject{sa("deployment-controller")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "system:controller:job-controller"}, Subjects: []rbacv1.Subject{sa("job-controller")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "system:kube-dns"}, Subjects: []rbacv1.Subject{sa("kube-dns")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "system:controller:x"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "u"}}},
	}
	if got := controllerServiceAccounts(crbs); !slices.Equal(got, []string{"deployment-controller", "job-controller"}) {
		t.Errorf("got %v", got)
	}
}

func TestKubernetesCheck(t *testing.T) {
	b, _ := fakeBackend(t)
	noGo := errors.New("building the pinned Kubernetes components needs the Go toolchain")
	var got components.Options
	b.k8sCheck = func(o components.Options) error { got = o; return noGo }
	l := loadLab(t, "bgp-ecmp", false)
	l.Options.K8sBinDir = "/opt/k8s"
	err := b.Check(context.Background(), l)
	if err == nil || !strings.Contains(err.Error(), "needs the Go toolchain") || got.BinDir != "/opt/k8s" {
		t.Errorf("err = %v, options %+v", err, got)
	}
	if err := b.Check(context.Background(), loadLab(t, "bgp-ecmp", true)); err != nil {
		t.Errorf("a fabric-only lab needs no Kubernetes binaries: %v", err)
	}
}

func TestNotReady(t *testing.T) {
	ready := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue}
	tests := []struct {
		name   string
		taints []corev1.Taint
		conds  []corev1.NodeCondition
		want   string
	}{
		{"ready", nil, []corev1.NodeCondition{ready}, ""},
		{"no condition yet", nil, nil, "has no Ready condition yet"},
		{"not ready", nil, []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: "NetworkNotReady", Message: "no podCIDR"}},
			"is not Ready (NetworkNotReady: no podCIDR)"},
		{"not-ready taint left", []corev1.Taint{{Key: "node.kubernetes.io/not-ready", Effect: corev1.TaintEffectNoSchedule}},
			[]corev1.NodeCondition{ready}, "has taint node.kubernetes.io/not-ready:NoSchedule"},
		{"tolerated NoExecute taint", []corev1.Taint{{Key: "node.kubernetes.io/not-ready", Effect: corev1.TaintEffectNoExecute}},
			[]corev1.NodeCondition{ready}, ""},
		{"control-plane taint is wanted", []corev1.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}},
			[]corev1.NodeCondition{ready}, ""},
	}
	for _, tc := range tests {
		n := &corev1.Node{Spec: corev1.NodeSpec{Taints: tc.taints}, Status: corev1.NodeStatus{Conditions: tc.conds}}
		if got := notReady(n); got != tc.want {
			t.Errorf("%s: notReady = %q, want %q", tc.name, got, tc.want)
		}
	}
}
