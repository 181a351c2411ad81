// Package netns is the default lab backend: every lab host (TOR, client,
// Kubernetes nodes) is a Linux network namespace named "<lab>_<host>", and
// all hosts meet on one bridge that lives in its own "<lab>_fabric"
// namespace. A veth from the host's own namespace to that bridge
// ("lbl<hash>", alias "lblab:<lab>") gives the machine management access.
//
// Namespaces, links and addresses are made with iproute2 in batch mode
// through an injected run.Runner, so the exact command sequence is unit
// tested with a recorder. FRR is the distribution's, one instance per lab
// with private sockets under the lab's run directory.
//
// Every long-running process of a lab (control plane, node agents,
// kube-proxy, controller, speakers) runs under a supervisor that restarts
// it (internal/supervise): the lab's own, `lblab supervise` in the fabric
// namespace, for the namespaces' processes.
//
// With nodeKernel uml the workers are user-mode Linux guests instead of
// namespaces (internal/uml): their kernels run under the lab's supervisor
// in the fabric namespace, each on a tap of the bridge, and each guest's
// own supervisor runs its node's processes. Their commands go over SSH.
//
// Everything a lab makes is found again from its name alone, which is how
// Delete cleans up after an `up` that was killed halfway.
package netns
