package netns

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lblab/lblab/internal/k8s/ciliumnode"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/topology"
)

// ciliumCluster is testCluster with Cilium's install and a fake cgroup v2
// mount, whose root it returns.
func ciliumCluster(t *testing.T, topo string, dual bool) (*cluster, string) {
	t.Helper()
	cg := fakeCgroup2(t, true)
	c := testCluster(t, topo, dual)
	c.l.Topology.Dataplane = topology.DataplaneEBPF
	c.cilium = components.CiliumInstall{Binaries: components.Binaries{}, LibDir: "/cache/cilium/lib",
		ClangDir: "/cache/cilium/clang", CRDs: []string{"/cache/cilium/crds/ciliumnodes.yaml"}}
	for _, n := range []string{components.CiliumAgent, components.CiliumDbg, components.CiliumCNI} {
		c.cilium.Binaries[n] = "/cache/cilium/bin/" + n
	}
	return c, cg
}

func TestCiliumNodeAgent(t *testing.T) {
	c, cg := ciliumCluster(t, "bgp-ecmp", false)
	nodes := k8sNodes(c.l.Topology, c.p)
	n := nodes[1]
	flags, env, err := c.ciliumNodeAgent(n)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(c.y.run, "cilium", n.name, "cni.conflist")
	want := []string{"--cni-conf", conf, "--cni-bin-dir", "/cache/cilium/bin",
		"--pod-cgroup", filepath.Join(cg, "lblab", "k8s-unit", n.name)}
	if !slices.Equal(flags, want) {
		t.Errorf("flags\n got %q\nwant %q", flags, want)
	}
	if sock := "CILIUM_SOCK=" + filepath.Join(c.y.run, "cilium", n.name, "run", "cilium.sock"); !slices.Equal(env, []string{sock}) {
		t.Errorf("env %q, want %q", env, sock)
	}
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		CNIVersion string           `json:"cniVersion"`
		Name       string           `json:"name"`
		Plugins    []map[string]any `json:"plugins"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("conflist is not JSON: %v\n%s", err, data)
	}
	if list.CNIVersion != "1.0.0" || list.Name != "cilium" || len(list.Plugins) != 1 || list.Plugins[0]["type"] != "cilium-cni" {
		t.Errorf("conflist:\n%s", data)
	}
	if lf, _ := list.Plugins[0]["log-file"].(string); lf != c.y.logFile(n.name+"-cilium-cni") {
		t.Errorf("cilium-cni log file %q", lf)
	}
	// Nothing else is made: the node's cgroup is ciliumAgent's.
	if _, err := os.Stat(filepath.Join(cg, "lblab")); !os.IsNotExist(err) {
		t.Errorf("ciliumNodeAgent touched the cgroup tree: %v", err)
	}
	// The node agent's daemon carries them.
	d, err := c.nodeAgent("/usr/bin/lblab", n)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.argv[len(d.argv)-len(want):], want) || !slices.Equal(d.env, env) {
		t.Errorf("node agent daemon: argv %q env %q", d.argv, d.env)
	}
	// Rewriting is idempotent.
	if _, _, err := c.ciliumNodeAgent(n); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(conf); string(again) != string(data) {
		t.Errorf("second conflist differs:\n%s", again)
	}
}

func TestCiliumNodeAgentNoCgroup2(t *testing.T) {
	c, _ := ciliumCluster(t, "bgp-ecmp", false)
	fakeCgroup2(t, false)
	if _, _, err := c.ciliumNodeAgent(k8sNodes(c.l.Topology, c.p)[0]); err == nil {
		t.Error("no cgroup v2, no error")
	}
}

func TestCiliumAgent(t *testing.T) {
	for _, tc := range []struct {
		topo  string
		dual  bool
		cidrs int // pod CIDRs, one per family
	}{{"bgp-ecmp", false, 1}, {"bgp-ecmp-dual", true, 2}} {
		t.Run(tc.topo, func(t *testing.T) {
			c, cg := ciliumCluster(t, tc.topo, tc.dual)
			n := k8sNodes(c.l.Topology, c.p)[2]
			d, err := c.ciliumAgent("/usr/bin/lblab", n)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(c.y.run, "cilium", n.name)
			nodeCg := filepath.Join(cg, "lblab", "k8s-unit", n.name)
			for _, p := range []string{filepath.Join(dir, "run"), nodeCg} {
				if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
					t.Errorf("%s: %v", p, err)
				}
			}
			head := []string{"/usr/bin/lblab", "cilium-node", "--run-dir", filepath.Join(dir, "run"), "--cgroup", nodeCg, "--"}
			args := ciliumnode.Args(ciliumnode.Config{Agent: "/cache/cilium/bin/cilium-agent",
				Kubeconfig: c.y.ciliumKubeconfig(), LibDir: "/cache/cilium/lib",
				Device: "eth0", PodCIDRs: c.cfg.PodCIDRs})
			if want := append(head, args...); !slices.Equal(d.argv, want) {
				t.Errorf("argv\n got %q\nwant %q", d.argv, want)
			}
			if len(c.cfg.PodCIDRs) != tc.cidrs {
				t.Errorf("pod CIDRs %v", c.cfg.PodCIDRs)
			}
			env := []string{"K8S_NODE_NAME=" + n.name, "PATH=/cache/cilium/clang:" + ciliumAgentPath}
			if !slices.Equal(d.env, env) || d.ns != "k8s-unit_"+n.name || d.file != n.name+"-cilium-agent" || d.stale != "" {
				t.Errorf("daemon %+v", d)
			}
			c.replaced = map[string]bool{c.y.ciliumKubeconfig(): true}
			if d, _ = c.ciliumAgent("/usr/bin/lblab", n); d.stale == "" {
				t.Error("a new kubeconfig must restart the agent")
			}
		})
	}
}
