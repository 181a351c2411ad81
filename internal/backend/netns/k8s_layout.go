package netns

import (
	"path/filepath"

	"github.com/lblab/lblab/internal/lab"
)

// k8sLayout is where a lab's Kubernetes files live. State (certificates,
// kubeconfigs, etcd data, configuration, logs) is under the lab's state
// dir; pid files and node-agent run dirs are under its run dir, which
// `down` removes with the namespaces.
type k8sLayout struct{ state, run string }

func newK8sLayout(labName string) k8sLayout {
	return k8sLayout{state: lab.StateDir(labName), run: lab.RunDir(labName)}
}

func (y k8sLayout) pkiDir() string        { return filepath.Join(y.state, "pki") }
func (y k8sLayout) kubeconfigDir() string { return filepath.Join(y.state, "kubeconfigs") }
func (y k8sLayout) etcdDir() string       { return filepath.Join(y.state, "etcd") }
func (y k8sLayout) kubectl() string       { return filepath.Join(y.state, "bin", "kubectl") }

// logFile is <state>/logs/<file>.log, e.g. kube-apiserver.log or
// node1-kube-proxy.log.
func (y k8sLayout) logFile(file string) string { return filepath.Join(y.state, "logs", file+".log") }

func (y k8sLayout) pidFile(file string) string { return filepath.Join(y.run, "pids", file+".pid") }

func (y k8sLayout) kubeProxyConfig(node string) string {
	return filepath.Join(y.state, "config", node+"-kube-proxy.yaml")
}

// nodeRunDir is a node agent's --run-dir.
func (y k8sLayout) nodeRunDir(node string) string { return filepath.Join(y.run, "nodes", node) }
