package netns_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/testutil"
)

// These tests bring up netns labs with Kubernetes (real etcd,
// kube-apiserver, controller manager, scheduler, kube-proxy, and lblab's
// node agent) and drive them with the lab's own kubectl, as a user would.
// The pinned components come from the cache (built on first use) or
// LBLAB_K8S_BIN_DIR.

func kubectl(t *testing.T, name string, args ...string) string {
	t.Helper()
	return testutil.MustRun(t, append([]string{"kubectl", "--name", name, "--"}, args...)...).Stdout
}

func k8sDown(t *testing.T, name string) {
	t.Helper()
	testutil.MustRun(t, "down", "--name", name)
	k8sNothingLeft(t, name)
}

// k8sNothingLeft adds to assertNothingLeft the processes that name the
// lab's state directory or cluster (etcd, kube-apiserver, ...).
func k8sNothingLeft(t *testing.T, name string) {
	t.Helper()
	assertNothingLeft(t, name)
	for _, p := range testutil.Processes(lab.StateDir(name)+"/", "lblab-"+name+"\x00", "--lab\x00"+name+"\x00") {
		t.Errorf("process is left: %s", p)
	}
}

func pods(t *testing.T, name, selector string) []corev1.Pod {
	t.Helper()
	var list corev1.PodList
	if err := json.Unmarshal([]byte(kubectl(t, name, "get", "pods", "-l", selector, "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func ready(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// wget fetches url from the TOR until it answers with nginx's page.
func wgetFromTOR(t *testing.T, name, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := testutil.Run(t, "exec", "--name", name, "tor", "--", "wget", "-qO-", "-T", "3", url)
		if res.ExitCode == 0 && strings.Contains(res.Stdout, "Welcome to nginx!") {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("wget %s from the TOR: exit %d\n%s%s", url, res.ExitCode, res.Stdout, res.Stderr)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// seedWorkflow runs the seed lab's three kubectl commands for deployment
// dep and checks pods, Service and NodePorts from the TOR.
func seedWorkflow(t *testing.T, name, dep string) {
	kubectl(t, name, "create", "deployment", dep, "--image=nginx")
	kubectl(t, name, "scale", "--replicas=3", "deployment/"+dep)
	kubectl(t, name, "expose", "deployment", dep, "--port=80", "--type=LoadBalancer")
	kubectl(t, name, "rollout", "status", "deployment/"+dep, "--timeout=120s")

	ps := pods(t, name, "app="+dep)
	var nodes []string
	for _, p := range ps {
		if p.Status.Phase != corev1.PodRunning || !ready(p) {
			t.Errorf("pod %s is %s, ready=%v", p.Name, p.Status.Phase, ready(p))
		}
		if p.Spec.NodeName == "control-plane" {
			t.Errorf("pod %s runs on the tainted control-plane node", p.Name)
		}
		if !slices.Contains(nodes, p.Spec.NodeName) {
			nodes = append(nodes, p.Spec.NodeName)
		}
	}
	if len(ps) != 3 || len(nodes) != 3 {
		t.Errorf("want 3 pods on 3 workers, got %d pods on %v", len(ps), nodes)
	}

	var svc corev1.Service
	if err := json.Unmarshal([]byte(kubectl(t, name, "get", "svc", dep, "-o", "json")), &svc); err != nil {
		t.Fatal(err)
	}
	np := svc.Spec.Ports[0].NodePort
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == "None" || np == 0 {
		t.Fatalf("Service %s: clusterIP %q nodePort %d", dep, svc.Spec.ClusterIP, np)
	}
	s := status(t, name)
	for _, h := range s.Hosts {
		if h.Role == "control-plane" || h.Role == "worker" {
			wgetFromTOR(t, name, "http://"+h.IPv4+":"+strconv.Itoa(int(np)))
		}
	}
}

// podDeletion deletes a pod and checks that the Deployment replaces it, its
// namespace goes, and the Service still answers.
func podDeletion(t *testing.T, name, dep string) {
	before := pods(t, name, "app="+dep)
	victim := before[0]
	kubectl(t, name, "delete", "pod", victim.Name, "--wait=true", "--timeout=60s")
	kubectl(t, name, "rollout", "status", "deployment/"+dep, "--timeout=90s")
	deadline := time.Now().Add(30 * time.Second)
	for {
		after := pods(t, name, "app="+dep)
		n := 0
		for _, p := range after {
			if p.Name == victim.Name {
				t.Fatalf("deleted pod %s still exists", victim.Name)
			}
			if ready(p) {
				n++
			}
		}
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 3 pods Ready after deleting %s", n, victim.Name)
		}
		time.Sleep(200 * time.Millisecond)
	}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), name+"_pod-") && strings.Contains(e.Name(), string(victim.UID)) {
			t.Errorf("the deleted pod's namespace %s is left", e.Name())
		}
	}
	if victim.Status.PodIP != "" {
		wgetFromTOR(t, name, "http://"+victim.Status.HostIP+":"+nodePort(t, name, dep))
	}
}

func nodePort(t *testing.T, name, svc string) string {
	return strings.TrimSpace(kubectl(t, name, "get", "svc", svc, "-o", "jsonpath={.spec.ports[0].nodePort}"))
}

func TestIntegrationKubernetesIPTables(t *testing.T) {
	testutil.Integration(t)
	const name = "k8s-ipt"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	res := testutil.MustRun(t, "up", "--name", name, "--dataplane", "iptables", "--no-workloads")
	for _, want := range []string{"export KUBECONFIG=" + lab.StateDir(name) + "/kubeconfig", "Where the time went:"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("up's summary lacks %q:\n%s", want, res.Stdout)
		}
	}
	if got := strings.TrimSpace(testutil.MustRun(t, "kubeconfig", "--name", name).Stdout); got != lab.StateDir(name)+"/kubeconfig" {
		t.Errorf("lblab kubeconfig = %q", got)
	}
	if v := kubectl(t, name, "version", "-o", "json"); !strings.Contains(v, `"gitVersion": "v1.37.`) {
		t.Errorf("kubectl version:\n%s", v)
	}
	nodes := kubectl(t, name, "get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDR} {.metadata.labels.node-role\\.kubernetes\\.io/control-plane}|{end}")
	if strings.Count(nodes, "10.244.") != 4 || !strings.Contains(nodes, "control-plane 10.244.") {
		t.Errorf("nodes (name podCIDR role): %s", nodes)
	}
	seedWorkflow(t, name, "web")
	podDeletion(t, name, "web")
	k8sDown(t, name)
}

func TestIntegrationKubernetesNFTables(t *testing.T) {
	testutil.Integration(t)
	const name = "k8s-nft"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	// With the topology's workloads: web (3 × nginx) and its Service.
	testutil.MustRun(t, "up", "--name", name, "--dataplane", "nftables")
	ps := pods(t, name, "app=web")
	if len(ps) != 3 {
		t.Errorf("the topology's web has %d pods, want 3", len(ps))
	}
	if out, err := exec.Command("ip", "netns", "exec", name+"_node1", "nft", "list", "table", "ip", "kube-proxy").CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "service-ips") {
		t.Errorf("no kube-proxy nftables table on node1: %v\n%s", err, out)
	}
	seedWorkflow(t, name, "web2")
	podDeletion(t, name, "web2")

	// Converging: nothing to do. What is killed, the lab's supervisor
	// starts again, as a kubelet would, counting the restart.
	again := testutil.MustRun(t, "up", "--name", name, "--dataplane", "nftables")
	if !strings.Contains(again.Stdout, "nothing to change") {
		t.Errorf("second up changed something:\n%s", again.Stdout)
	}
	killed := map[string]int{}
	for f, proc := range map[string]string{"kube-apiserver": "kube-apiserver", "kube-scheduler": "kube-scheduler",
		"node2-node-agent": "node agent on node2", "node3-kube-proxy": "kube-proxy on node3"} {
		pid, err := os.ReadFile(filepath.Join(lab.RunDir(name), "pids", f+".pid"))
		if err != nil {
			t.Fatal(err)
		}
		p, _ := strconv.Atoi(strings.TrimSpace(string(pid)))
		killed[proc] = p
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	var left []string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		left = nil
		running := map[string]lab.Process{}
		for _, p := range processes(t, name) {
			running[p.Name] = p
		}
		for n, old := range killed {
			if p := running[n]; p.State != "running" || p.PID == old || p.Restarts < 1 || !strings.Contains(p.LastExit, "killed") {
				left = append(left, fmt.Sprintf("%s: %+v", n, p))
			}
		}
		if len(left) == 0 {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("not restarted by the supervisor within 30 s:\n%s", strings.Join(left, "\n"))
	}
	// up waits for the restarted API server's readiness; there is nothing
	// left for it to start.
	if conv := testutil.MustRun(t, "up", "--name", name, "--dataplane", "nftables"); strings.Contains(conv.Stdout, "started") {
		t.Errorf("up (re)started something the supervisor runs:\n%s", conv.Stdout)
	}
	wgetFromTOR(t, name, "http://"+hostAddr(t, status(t, name), "node3", false)+":"+nodePort(t, name, "web2"))
	k8sDown(t, name)
}

func TestIntegrationKubernetesIPVSRefused(t *testing.T) {
	testutil.Integration(t)
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		t.Skip("this kernel has IPVS")
	}
	const name = "k8s-ipvs"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	res := testutil.Run(t, "up", "--name", name, "--dataplane", "ipvs", "--node-kernel", "host")
	if res.ExitCode == 0 {
		t.Fatal("up --dataplane ipvs --node-kernel host must fail on a kernel without IPVS")
	}
	for _, want := range []string{"CONFIG_IP_VS", "--node-kernel uml", "--dataplane iptables or nftables", "kind backend"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, res.Stderr)
		}
	}
	k8sNothingLeft(t, name)
}

// processes is `lblab status`'s list of the lab's supervised processes.
func processes(t *testing.T, name string) []lab.Process {
	t.Helper()
	var st struct {
		Processes []lab.Process `json:"processes"`
	}
	if err := json.Unmarshal([]byte(testutil.MustRun(t, "status", "--name", name, "-o", "json").Stdout), &st); err != nil {
		t.Fatal(err)
	}
	return st.Processes
}

// A control-plane component that cannot start stops `up` with its log,
// and the failed lab is cleaned up.
func TestIntegrationKubernetesComponentFails(t *testing.T) {
	testutil.Integration(t)
	const name = "k8s-fail"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	// The real components (built now if no other test has), with a broken
	// kube-apiserver in their place.
	bins, err := components.Resolve(context.Background(), components.Options{BinDir: os.Getenv("LBLAB_K8S_BIN_DIR")})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range []string{"kube-controller-manager", "kube-scheduler", "kube-proxy", "kubectl", "etcd"} {
		if err := os.Symlink(bins.Path(n), filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	broken := "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'Kubernetes v1.37.2'; exit 0; }\necho 'E1125 run.go:72] \"command failed\" err=\"open /nonexistent/apiserver.crt: no such file or directory\"'\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "kube-apiserver"), []byte(broken), 0o755); err != nil {
		t.Fatal(err)
	}
	res := testutil.Run(t, "up", "--name", name, "--k8s-bin-dir", dir)
	if res.ExitCode == 0 {
		t.Fatal("up with a failing kube-apiserver succeeded")
	}
	for _, want := range []string{"kube-apiserver exited", "open /nonexistent/apiserver.crt", "kube-apiserver.log", "Cleaning up the failed lab"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("output lacks %q:\n%s", want, res.Stderr)
		}
	}
	k8sNothingLeft(t, name)
}

// An `up` killed at any point, then `down`, leaves nothing.
func TestIntegrationKubernetesKilledUpThenDown(t *testing.T) {
	testutil.Integration(t)
	const name = "k8s-killed"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	killedUpThenDown(t, name, k8sDown, []time.Duration{700 * time.Millisecond, 2 * time.Second, 5 * time.Second, 9 * time.Second})
}

// bgp-ecmp-dual: nodes, pods and the workload's Service get both families,
// and NodePorts answer on the nodes' IPv6 addresses.
func TestIntegrationKubernetesDualStack(t *testing.T) {
	testutil.Integration(t)
	const name = "k8s-dual"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	testutil.MustRun(t, "up", "-t", "bgp-ecmp-dual", "--name", name, "--controller", "none")
	var nodes corev1.NodeList
	if err := json.Unmarshal([]byte(kubectl(t, name, "get", "nodes", "-o", "json")), &nodes); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if len(n.Spec.PodCIDRs) != 2 || !strings.Contains(n.Spec.PodCIDRs[1], ":") {
			t.Errorf("node %s podCIDRs %v, want IPv4 and IPv6", n.Name, n.Spec.PodCIDRs)
		}
	}
	ps := pods(t, name, "app=web")
	spread := map[string]bool{}
	for _, p := range ps {
		spread[p.Spec.NodeName] = true
		if len(p.Status.PodIPs) != 2 || !strings.Contains(p.Status.PodIPs[1].IP, ":") {
			t.Errorf("pod %s IPs %v, want IPv4 and IPv6", p.Name, p.Status.PodIPs)
		}
	}
	if len(ps) != 3 || len(spread) != 3 {
		t.Errorf("the topology's web: %d pods on %d nodes, want 3 on 3", len(ps), len(spread))
	}
	var svc corev1.Service
	if err := json.Unmarshal([]byte(kubectl(t, name, "get", "svc", "web", "-o", "json")), &svc); err != nil {
		t.Fatal(err)
	}
	if len(svc.Spec.ClusterIPs) != 2 || *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicyPreferDualStack {
		t.Errorf("Service web: clusterIPs %v policy %v", svc.Spec.ClusterIPs, *svc.Spec.IPFamilyPolicy)
	}
	np := strconv.Itoa(int(svc.Spec.Ports[0].NodePort))
	s := status(t, name)
	for _, h := range s.Hosts {
		if h.Role == "worker" {
			wgetFromTOR(t, name, "http://"+h.IPv4+":"+np)
			wgetFromTOR(t, name, "http://["+h.IPv6+"]:"+np)
		}
	}
	k8sDown(t, name)
}
