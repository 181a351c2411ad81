package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/internal/topology"
)

// fakeKube is a ready cluster: every node Ready, every DaemonSet rolled out.
type fakeKube struct {
	nodes   []string
	applied []*unstructured.Unstructured
	pods    []corev1.Pod // what Pods lists, whatever the selector
	deleted []string     // namespace/name of every DeletePod
	calls   []string     // Apply, DeletePod, and the rollout reads, in order
}

func (k *fakeKube) Nodes(context.Context) ([]corev1.Node, error) {
	var out []corev1.Node
	for _, n := range k.nodes {
		out = append(out, readyNode(n))
	}
	return out, nil
}

func (k *fakeKube) DaemonSets(_ context.Context, ns string) ([]appsv1.DaemonSet, error) {
	k.calls = append(k.calls, "list daemonsets "+ns)
	var out []appsv1.DaemonSet
	for _, n := range []string{"kindnet", "kube-proxy", "cilium", "speaker", "kube-vip-ds", "openelb-manager"} {
		out = append(out, rolledOut(n, len(k.nodes)))
	}
	return out, nil
}

func (k *fakeKube) Apply(_ context.Context, objs []*unstructured.Unstructured) error {
	k.applied = append(k.applied, objs...)
	k.calls = append(k.calls, fmt.Sprintf("apply %d objects", len(objs)))
	return nil
}

func (k *fakeKube) Job(_ context.Context, ns, name string) (*batchv1.Job, error) {
	k.calls = append(k.calls, "get job "+ns+"/"+name)
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Status: batchv1.JobStatus{Succeeded: 1}}, nil
}

func (k *fakeKube) Pods(_ context.Context, ns, selector string) ([]corev1.Pod, error) {
	k.calls = append(k.calls, "list pods "+ns+" "+selector)
	return k.pods, nil
}

func (k *fakeKube) DeletePod(_ context.Context, ns, name string) error {
	k.calls = append(k.calls, "delete pod "+ns+"/"+name)
	k.deleted = append(k.deleted, ns+"/"+name)
	return nil
}

func (k *fakeKube) ServerVersion() (string, error) { return "v1.37.0", nil }

func (k *fakeKube) Deployment(_ context.Context, ns, name string) (*appsv1.Deployment, error) {
	k.calls = append(k.calls, "get deployment "+ns+"/"+name)
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, AvailableReplicas: 1}}, nil
}

func readyNode(name string) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
}

func rolledOut(name string, n int) appsv1.DaemonSet {
	return appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 1},
		Status: appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: int32(n), NumberReady: int32(n), UpdatedNumberScheduled: int32(n)}}
}

type harness struct {
	b       *backend
	docker  *fakeDocker
	cluster *fakeCluster
	kube    *fakeKube
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	t.Setenv(lab.EnvStateDir, t.TempDir())
	t.Setenv(lab.EnvRunDir, t.TempDir())
	d := newFakeDocker()
	c := &fakeCluster{docker: d, clusters: map[string]*v1alpha4.Cluster{}}
	k := &fakeKube{}
	b := New(Options{Docker: d, Cluster: c}).(*backend)
	b.lookPath = func(string) (string, error) { return "/usr/bin/docker", nil }
	b.kube = func(string) (kubeClient, error) { return k, nil }
	b.binary = func(context.Context) ([]byte, error) { return []byte("static lblab\n"), nil }
	b.ciliumChart = func(context.Context) (string, error) { return filepath.Join("testdata", "chart"), nil }
	b.timeout = 2 * time.Second
	return &harness{b: b, docker: d, cluster: c, kube: k}
}

func newLab(t *testing.T, topo *topology.Topology) *lab.Lab {
	t.Helper()
	l := lab.New(topo, lab.Options{}, nil)
	if err := os.MkdirAll(l.StateDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	return l
}

// newTestLab returns a lab of a bundled topology (iptables; renamed to name
// unless that is empty) whose kind nodes the harness's cluster reports.
func (h *harness) newTestLab(t *testing.T, topoName, name string) (*topology.Topology, *lab.Lab) {
	t.Helper()
	topo := loadTopology(t, topoName, topology.DataplaneIPTables)
	if name != "" {
		topo.Name = name
	}
	h.kube.nodes = kindNodeNames(topo)
	return topo, newLab(t, topo)
}

func wantCalls(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// The TOR gets the netns backend's frr.conf (listening on the kind
// network), the daemons file and vtysh.conf before it starts; the client
// routes the pools through the TOR.
func TestProvisionTORAndClient(t *testing.T) {
	h := newHarness(t)
	topo, l := h.newTestLab(t, "bgp-ecmp-dual", "lab1")
	if err := h.b.Check(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	h.docker.Calls()
	if err := h.b.Provision(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h.cluster.calls, []string{"create lab1 nodes=4 kubeconfig=" + l.Kubeconfig()})
	wantCalls(t, h.docker.Calls(), []string{
		"network inspect kind",
		"inspect lab1-tor",
		"pull " + frrImage,
		"create lab1-tor image=" + frrImage + " network=kind caps=NET_ADMIN,NET_RAW,SYS_ADMIN labels=dev.lblab.lab=lab1,dev.lblab.role=tor",
		"copy lab1-tor /etc/frr/frr.conf(644) /etc/frr/daemons(644) /etc/frr/vtysh.conf(644)",
		"start lab1-tor",
		"inspect lab1-tor",
		"exec lab1-tor vtysh -c show bgp summary json",
		"inspect lab1-client",
		"pull " + clientImage,
		"create lab1-client image=" + clientImage + " network=kind caps=NET_ADMIN,NET_RAW labels=dev.lblab.lab=lab1,dev.lblab.role=client",
		"start lab1-client",
		"inspect lab1-client",
		"exec lab1-client ip -f inet route replace 198.51.100.0/24 via 172.18.0.6",
		"exec lab1-client ip -f inet6 route replace 2001:db8:100::/120 via fc00:f853:ccd:e793::6",
		"copy lab1-control-plane /usr/local/bin/lblab(755)",
		"copy lab1-worker /usr/local/bin/lblab(755)",
		"copy lab1-worker2 /usr/local/bin/lblab(755)",
		"copy lab1-worker3 /usr/local/bin/lblab(755)",
	})
	conf := h.docker.containers["lab1-tor"].files["/etc/frr/frr.conf"]
	want, err := frr.Render(frr.Config{Lab: "lab1", Hostname: "tor", LogFile: frrLogFile, ASN: 64496, NodeASN: 64500,
		RouterID: topo.RouterID(), ListenRanges: []netipPrefix{mustPrefix("172.18.0.0/16"), mustPrefix("fc00:f853:ccd:e793::/64")},
		MaximumPaths: 64, KeepaliveTime: 3, HoldTime: 9})
	if err != nil {
		t.Fatal(err)
	}
	if string(conf) != string(want) {
		t.Errorf("frr.conf in the TOR:\n%s\nwant:\n%s", conf, want)
	}
	golden.Assert(t, filepath.Join("testdata", "frr-daemons"), h.docker.containers["lab1-tor"].files["/etc/frr/daemons"])
	if c := h.docker.containers["lab1-client"].spec; c.Entrypoint[0] != "/bin/sh" {
		t.Errorf("the client keeps the image's curl entrypoint: %v", c.Entrypoint)
	}
	spec := h.docker.containers["lab1-tor"].spec
	if spec.Sysctls["net.ipv4.conf.all.send_redirects"] != "0" || spec.Sysctls["net.ipv6.conf.all.forwarding"] != "1" {
		t.Errorf("TOR sysctls = %v", spec.Sysctls)
	}
	if c := h.docker.containers["lab1-client"].spec; !slices.Contains(c.EndpointSysctls, "net.ipv4.conf.IFNAME.accept_redirects=0") ||
		!slices.Contains(c.EndpointSysctls, "net.ipv6.conf.IFNAME.accept_redirects=0") {
		t.Errorf("the client's interface accepts redirects: %v", c.EndpointSysctls)
	}
	// The resolved topology records the kind network as the node subnets.
	saved, err := lab.LoadTopology("lab1")
	if err != nil {
		t.Fatal(err)
	}
	if saved.Network.IPv4Subnet != "172.18.0.0/16" || saved.Network.IPv6Subnet != "fc00:f853:ccd:e793::/64" {
		t.Errorf("saved node subnets = %s, %s", saved.Network.IPv4Subnet, saved.Network.IPv6Subnet)
	}

	// A second up converges: nothing is created again.
	l2 := newLab(t, loadTopology(t, "bgp-ecmp-dual", topology.DataplaneIPTables))
	l2.Name, l2.Topology.Name = "lab1", "lab1"
	if err := h.b.Provision(context.Background(), l2); err != nil {
		t.Fatal(err)
	}
	if len(h.cluster.calls) != 1 {
		t.Errorf("the cluster was recreated: %v", h.cluster.calls)
	}
	for _, c := range h.docker.Calls() {
		if strings.HasPrefix(c, "create ") || strings.HasPrefix(c, "remove ") {
			t.Errorf("converging up made call %q", c)
		}
	}
	if len(l2.Changes()) != 0 {
		t.Errorf("converging up changed %v", l2.Changes())
	}
}

// ProbePath names the lblab binary inside the nodes, so Provision puts it
// into every node whatever the data plane: inspect bgp and the diagnostics
// bundle read GoBGP through it on every kind lab (it used to be copied for
// ipvs labs only).
func TestProvisionCopiesProbeEveryDataplane(t *testing.T) {
	for _, dp := range topology.Dataplanes {
		t.Run(string(dp), func(t *testing.T) {
			h := newHarness(t)
			topo := loadTopology(t, "bgp-ecmp", dp)
			h.kube.nodes = kindNodeNames(topo)
			if err := h.b.Provision(context.Background(), newLab(t, topo)); err != nil {
				t.Fatal(err)
			}
			for _, n := range kindNodeNames(topo) {
				if got := h.docker.containers[n].files[h.b.ProbePath()]; string(got) != "static lblab\n" {
					t.Errorf("%s holds %q at %s, want the lblab binary", n, got, h.b.ProbePath())
				}
			}
		})
	}
}

// A daemon that cannot inspect the TOR stops up with its error; it is not
// taken for an absent container.
func TestProvisionInspectFails(t *testing.T) {
	h := newHarness(t)
	_, l := h.newTestLab(t, "bgp-ecmp", "lab1")
	h.docker.inspectErr = errors.New("failed to inspect lab1-tor: the daemon is busy")
	err := h.b.Provision(context.Background(), l)
	if err == nil || !strings.Contains(err.Error(), "the daemon is busy") {
		t.Fatalf("Provision = %v, want the inspect error", err)
	}
	for _, c := range h.docker.Calls() {
		if strings.HasPrefix(c, "create ") {
			t.Errorf("created a container after a failed inspect: %s", c)
		}
	}
}

// Delete finds everything by label and the cluster by name, also after an
// up that failed halfway; deleting an absent lab succeeds.
func TestDelete(t *testing.T) {
	h := newHarness(t)
	_, l := h.newTestLab(t, "bgp-ecmp", "lab2")
	if err := h.b.Provision(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	h.docker.Calls()
	if err := h.b.Delete(context.Background(), "lab2"); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h.docker.Calls(), []string{
		"list dev.lblab.lab=lab2",
		"remove lab2-client",
		"remove lab2-tor",
	})
	if got := h.cluster.calls[len(h.cluster.calls)-1]; got != "delete lab2" {
		t.Errorf("last cluster call = %q", got)
	}
	if len(h.docker.containers) != 0 {
		t.Errorf("left behind: %v", h.docker.containers)
	}
	if err := h.b.Delete(context.Background(), "lab2"); err != nil {
		t.Errorf("deleting an absent lab: %v", err)
	}
}

// A TOR left by a failed up (no cluster) is found and removed by Delete
// and reported by List.
func TestDeleteAfterFailedUp(t *testing.T) {
	h := newHarness(t)
	if _, err := h.docker.CreateContainer(context.Background(), torSpec("lab3", "kind")); err != nil {
		t.Fatal(err)
	}
	got, err := h.b.List(context.Background())
	if err != nil || len(got) != 1 || got[0].Name != "lab3" || !got[0].Partial {
		t.Fatalf("List = %+v, %v", got, err)
	}
	if err := h.b.Delete(context.Background(), "lab3"); err != nil {
		t.Fatal(err)
	}
	if len(h.docker.containers) != 0 || len(h.cluster.calls) != 0 {
		t.Errorf("containers %v, cluster calls %v", h.docker.containers, h.cluster.calls)
	}
}

// Nodes are tor, the kind nodes in topology order, and client, and their
// runners go through the Exec API: failures keep stderr and the exit code.
func TestNodesAndRunner(t *testing.T) {
	h := newHarness(t)
	_, l := h.newTestLab(t, "bgp-pools", "")
	if err := h.b.Provision(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	nodes, err := h.b.Nodes(context.Background(), "bgp-pools")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range nodes {
		got = append(got, n.Name+"/"+string(n.Role)+"/"+n.Addrs[0].String())
		if len(n.Addrs) != 1 {
			t.Errorf("%s: IPv4 lab node has addresses %v", n.Name, n.Addrs)
		}
	}
	want := []string{"tor/tor/172.18.0.7", "bgp-pools-control-plane/control-plane/172.18.0.2",
		"bgp-pools-worker/worker/172.18.0.3", "bgp-pools-worker2/worker/172.18.0.4",
		"bgp-pools-worker3/worker/172.18.0.5", "bgp-pools-worker4/worker/172.18.0.6", "client/client/172.18.0.8"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("nodes:\n %v\nwant\n %v", got, want)
	}
	h.docker.execs["bgp-pools-tor vtysh -c show bgp summary json"] = execResult{Stdout: []byte(`{"ipv4Unicast":{}}`)}
	h.docker.execs["bgp-pools-worker ip route get"] = execResult{ExitCode: 2, Stderr: []byte("Error: any valid prefix is expected")}
	out, err := nodes[0].Command(context.Background(), "vtysh", "-c", "show bgp summary json")
	if err != nil || string(out) != `{"ipv4Unicast":{}}` {
		t.Errorf("tor vtysh = %q, %v", out, err)
	}
	_, err = nodes[2].Command(context.Background(), "ip", "route", "get", "bogus")
	var re *run.Error
	if !errors.As(err, &re) || re.ExitCode != 2 || !strings.Contains(re.Stderr, "valid prefix") ||
		!strings.HasPrefix(re.Cmd, "docker exec bgp-pools-worker ip route get bogus") {
		t.Errorf("failed command error = %#v", err)
	}
}

// Without Docker, Check fails before anything is created, says why and
// points at the netns backend.
func TestCheckWithoutDocker(t *testing.T) {
	h := newHarness(t)
	h.docker.pingErr = errors.New("dial unix /var/run/docker.sock: connect: no such file or directory")
	l := newLab(t, loadTopology(t, "bgp-ecmp", topology.DataplaneIPTables))
	err := h.b.Check(context.Background(), l)
	if err == nil || !errors.Is(err, errNoDocker) ||
		!strings.Contains(err.Error(), "no Docker daemon answers at unix:///fake/docker.sock") ||
		!strings.Contains(err.Error(), "--backend netns") {
		t.Fatalf("Check = %v", err)
	}
	wantCalls(t, h.docker.Calls(), []string{"ping"})

	h.b.lookPath = func(string) (string, error) { return "", errors.New("not found") }
	if err := h.b.Check(context.Background(), l); err == nil || !strings.Contains(err.Error(), "the docker CLI is not in PATH") {
		t.Fatalf("Check without the CLI = %v", err)
	}
}

// With Docker, Check refuses a kind network that overlaps the pools,
// before anything is created; every data plane × family is accepted
// (ebpf on ipv6 used to be refused).
func TestCheckRefuses(t *testing.T) {
	h := newHarness(t)
	for _, dp := range topology.Dataplanes {
		for fam, name := range familyTopologies {
			if err := h.b.Check(context.Background(), newLab(t, loadTopology(t, name, dp))); err != nil {
				t.Errorf("%s/%s refused: %v", dp, fam, err)
			}
		}
	}
	topo := loadTopology(t, "bgp-ecmp-v6", topology.DataplaneEBPF)
	topo.Controller.Pools[0].Addresses = []string{"fc00:f853:ccd:e793::100/120"}
	h.docker.Calls()
	err := h.b.Check(context.Background(), newLab(t, topo))
	if err == nil || !strings.Contains(err.Error(), "overlaps the Docker network") {
		t.Fatalf("Check = %v", err)
	}
	for _, c := range h.docker.Calls() {
		if !strings.HasPrefix(c, "ping") && !strings.HasPrefix(c, "network inspect") {
			t.Errorf("Check made call %q", c)
		}
	}
}

// At the deadline, waitReady says what it was waiting for.
func TestWaitReadyTimeout(t *testing.T) {
	k := &fakeKube{nodes: []string{"a-control-plane"}}
	err := waitReady(context.Background(), k, []string{"a-control-plane", "a-worker"}, topology.DataplaneIPTables,
		50*time.Millisecond, 10*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "node a-worker is not registered") {
		t.Fatalf("waitReady = %v", err)
	}
}
