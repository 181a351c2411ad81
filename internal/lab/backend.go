package lab

import (
	"context"
	"net/netip"

	"github.com/lblab/lblab/internal/run"
)

// Role is what a lab host is for.
type Role string

// Host roles. Control-plane and worker hosts are Kubernetes nodes.
const (
	RoleTOR    Role = "tor"
	RoleClient Role = "client"
	// RoleLB is the external load balancer host of an externalLB lab.
	RoleLB           Role = "lb"
	RoleControlPlane Role = "control-plane"
	RoleWorker       Role = "worker"
)

// IsKubernetes reports whether hosts of this role are Kubernetes nodes.
func (r Role) IsKubernetes() bool { return r == RoleControlPlane || r == RoleWorker }

// Node is one host of a lab: the TOR, the client, or a Kubernetes node.
// Commands run inside it through Runner (ip netns exec, docker exec, ...).
type Node struct {
	Name string
	Role Role
	// Addrs are the host's addresses on the lab fabric (the shared bridge;
	// for the client, its link to the TOR), IPv4 first.
	Addrs []netip.Addr
	// ClassAddrs are a Kubernetes node's further fabric addresses, by
	// loadBalancerClass: those its class controller's speaker peers from
	// (labs with controller.classes); nil otherwise.
	ClassAddrs map[string][]netip.Addr `json:"classAddrs,omitempty"`
	// VIPAddrs are a control-plane node's further fabric addresses in a
	// lab with an API server VIP (controlPlane): those its VIP speaker
	// peers from, the next hops of the TOR's route for the VIP.
	VIPAddrs []netip.Addr `json:"vipAddrs,omitempty"`
	// Runner runs a command inside the host.
	Runner run.Runner `json:"-"`
	// Kernel is "uml" for a host on a user-mode Linux kernel of its own,
	// "" for one on the machine's (a netns host, a kind node).
	Kernel string `json:"kernel,omitempty"`
	// NoDataplane marks a Kubernetes node that runs no data plane: the
	// control-plane node of a netns lab whose workers run on user-mode
	// Linux for a data plane the machine's kernel lacks (IPVS). It takes
	// no LoadBalancer traffic (it is excluded from load balancers).
	NoDataplane bool `json:"noDataplane,omitempty"`
	// CiliumAgent marks a node whose Cilium agent is a process of the node
	// rather than a pod (a netns lab's ebpf nodes): Runner runs cilium-dbg
	// beside it, in its mount namespace.
	CiliumAgent bool `json:"ciliumAgent,omitempty"`
}

// Command runs name with args inside the node and returns its stdout.
func (n Node) Command(ctx context.Context, name string, args ...string) ([]byte, error) {
	return n.Runner.Run(ctx, run.Cmd{Name: name, Args: args})
}

// Addr returns the node's fabric address of one family, if it has one.
func (n Node) Addr(v6 bool) (netip.Addr, bool) {
	for _, a := range n.Addrs {
		if a.Is6() == v6 {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// Summary is one lab as a backend sees it.
type Summary struct {
	Name    string `json:"name"`
	Backend string `json:"backend"`
	// Partial is true when only leftovers were found (no complete state).
	Partial bool `json:"partial,omitempty"`
}

// Backend creates and removes labs. Implementations live in
// internal/backend/<name> and export only New and Available.
type Backend interface {
	// Name is "netns" or "kind".
	Name() string
	// Check verifies prerequisites for this lab and creates nothing.
	Check(ctx context.Context, l *Lab) error
	// Provision creates (or converges) the lab's fabric, TOR, client,
	// Kubernetes cluster and data plane, reporting steps on l.Log.
	Provision(ctx context.Context, l *Lab) error
	// Deploy runs the load-balancer controller and speakers once their
	// CRDs, RBAC and configuration are in the cluster.
	Deploy(ctx context.Context, l *Lab) error
	// Delete removes everything the lab made. Deleting an absent lab succeeds.
	Delete(ctx context.Context, name string) error
	// List finds the labs this backend has made, complete or not.
	List(ctx context.Context) ([]Summary, error)
	// Nodes returns the running lab's hosts.
	Nodes(ctx context.Context, name string) ([]Node, error)
	// Logs copies every component's logs into dir.
	Logs(ctx context.Context, name, dir string) error
}
