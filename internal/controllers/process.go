package controllers

import "net/netip"

// Node is a Kubernetes node a controller's per-node process runs on.
type Node struct {
	Name string
	IP   netip.Addr // its first address on the nodes' network
}

// TmpDir stands for the directory Prepare was given, in a Process's Argv
// and Env (Kubernetes' $(VAR) syntax).
const TmpDir = "$(TMPDIR)"

// Process is one process of a LoadBalancer controller as a backend runs
// it: under a token of its own ServiceAccount, on the control plane (Node
// "") or on a node.
type Process struct {
	Name string // in messages: "metallb speaker on node1"
	File string // unit, log and pid file name: "node1-metallb-speaker"
	Node string // "" for the control plane
	Argv []string
	Env  []string
	// Namespace and ServiceAccount name the account whose token it uses.
	Namespace, ServiceAccount string
	// KubeconfigInHome: the process reads $HOME/.kube/config (kube-vip)
	// instead of $KUBECONFIG, so the backend writes the kubeconfig there
	// and sets HOME.
	KubeconfigInHome bool
	// KubeconfigFlag, when set, is appended to Argv with the kubeconfig's
	// path ("--kubeconfig=").
	KubeconfigFlag string
	// Prepare, when set, runs before the process starts with a directory
	// of its own in the lab's state, which becomes its TMPDIR (OpenELB's
	// webhook server reads its certificate from there, MetalLB's
	// speakers their memberlist key); TmpDir in Argv and Env is replaced
	// by that directory.
	Prepare func(tmp string) error `json:"-"`
	// StartExits is how many exits while it starts the backend lets the
	// supervisor restart it through, as a Pod's restarts would, before it
	// reports the process dead (and up warns of them): OpenELB's
	// managers, started together, race to create one DaemonSet, and the
	// losers exit.
	StartExits int `json:",omitempty"`
}
