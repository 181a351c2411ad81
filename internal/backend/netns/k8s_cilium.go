package netns

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/k8s/ciliumnode"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
)

// The ebpf data plane of a netns lab: a cilium-agent on every node in
// place of kube-proxy (kube-proxy replacement), confined to its node by
// `lblab cilium-node`, and pods wired by cilium-cni through the node
// agent. Every node's Cilium files are under <run>/cilium/<node>, which
// `down` removes with the lab.

// ciliumAgentPath is the PATH of every agent: clang 19 first.
const ciliumAgentPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func (c *cluster) usesCilium() bool { return c.l.Topology.Dataplane == topology.DataplaneEBPF }

func (y k8sLayout) ciliumDir(node string) string    { return filepath.Join(y.run, "cilium", node) }
func (y k8sLayout) ciliumRunDir(node string) string { return filepath.Join(y.ciliumDir(node), "run") }
func (y k8sLayout) ciliumSocket(node string) string {
	return filepath.Join(y.ciliumRunDir(node), "cilium.sock")
}
func (y k8sLayout) ciliumCNIConf(node string) string {
	return filepath.Join(y.ciliumDir(node), "cni.conflist")
}
func (y k8sLayout) ciliumKubeconfig() string { return filepath.Join(y.kubeconfigDir(), "cilium.conf") }

// prepareCilium applies Cilium's CRDs and the agent's RBAC, and mints the
// agent's kubeconfig for its ServiceAccount.
func (c *cluster) prepareCilium(ctx context.Context, cs kubernetes.Interface) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.l.Kubeconfig())
	if err != nil {
		return err
	}
	cfg.Proxy = noProxyFunc
	cfg.QPS, cfg.Burst = 100, 200 // as clientset's: the CRDs' polls are throttled at client-go's 5/s otherwise
	if err := ciliumnode.Install(ctx, cfg, c.cilium.CRDs); err != nil {
		return err
	}
	kc := c.y.ciliumKubeconfig()
	if _, err := os.Stat(kc); err == nil {
		return nil
	}
	ca, err := os.ReadFile(filepath.Join(c.y.pkiDir(), "ca.crt"))
	if err != nil {
		return err
	}
	data, err := install.TokenKubeconfigIn(ctx, cs, ciliumnode.Namespace, ciliumnode.ServiceAccount, c.cfg.Server(), ca, tokenTTL)
	if err != nil {
		return err
	}
	return lab.WriteFileAtomic(kc, data, 0o600)
}

// ciliumAgent makes a node's Cilium directories and cgroup, and returns
// its agent's daemon.
func (c *cluster) ciliumAgent(self string, n k8sNode) (daemon, error) {
	cg, err := nodeCgroup(c.l.Name, n.name)
	if err != nil {
		return daemon{}, err
	}
	for _, d := range []string{c.y.ciliumRunDir(n.name), cg} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return daemon{}, fmt.Errorf("failed to create %s: %w", d, err)
		}
	}
	cfg := ciliumnode.Config{
		Agent: c.cilium.Path(components.CiliumAgent), Kubeconfig: c.y.ciliumKubeconfig(),
		LibDir: c.cilium.LibDir, Device: "eth0", PodCIDRs: c.cfg.PodCIDRs,
	}
	if err := cfg.Validate(); err != nil {
		return daemon{}, err
	}
	argv := append([]string{self, "cilium-node", "--run-dir", c.y.ciliumRunDir(n.name), "--cgroup", cg, "--"},
		ciliumnode.Args(cfg)...)
	return daemon{name: "cilium-agent on " + n.name, file: n.name + "-cilium-agent", ns: n.ns, argv: argv,
		env:   []string{"K8S_NODE_NAME=" + n.name, "PATH=" + c.cilium.ClangDir + ":" + ciliumAgentPath},
		stale: c.stale(c.y.ciliumKubeconfig())}, nil
}

// ciliumNodeAgent returns the node agent's flags and environment for
// pods wired by cilium-cni, writing the node's CNI configuration (the one
// the agent itself would write, chaining mode "none").
func (c *cluster) ciliumNodeAgent(n k8sNode) ([]string, []string, error) {
	conf := map[string]any{"cniVersion": "1.0.0", "name": "cilium", "plugins": []any{map[string]any{
		"type": "cilium-cni", "log-file": c.y.logFile(n.name + "-cilium-cni"),
	}}}
	data, _ := json.MarshalIndent(conf, "", "  ")
	if err := lab.WriteFileAtomic(c.y.ciliumCNIConf(n.name), append(data, '\n'), 0o644); err != nil {
		return nil, nil, err
	}
	cg, err := nodeCgroup(c.l.Name, n.name)
	if err != nil {
		return nil, nil, err
	}
	flags := []string{"--cni-conf", c.y.ciliumCNIConf(n.name),
		"--cni-bin-dir", filepath.Dir(c.cilium.Path(components.CiliumCNI)), "--pod-cgroup", cg}
	return flags, []string{"CILIUM_SOCK=" + c.y.ciliumSocket(n.name)}, nil
}

// waitCilium waits until every node's agent says it is healthy.
func (c *cluster) waitCilium(ctx context.Context, nodes []k8sNode, watch []daemon) error {
	dbg := c.cilium.Path(components.CiliumDbg)
	for _, n := range nodes {
		sock := "unix://" + c.y.ciliumSocket(n.name)
		err := c.procs.waitUntil(ctx, "waiting for cilium-agent on "+n.name, nodesReadyTimeout, watch, func(ctx context.Context) error {
			out, err := c.runner.Run(ctx, run.Cmd{Name: dbg, Args: []string{"-H", sock, "status", "--brief"}})
			if err != nil {
				return err
			}
			if s := strings.TrimSpace(string(out)); s != "OK" {
				return fmt.Errorf("cilium-dbg status: %s", s)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
