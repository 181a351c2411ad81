package scenarios

import (
	"context"

	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/observe"
	"github.com/lblab/lblab/internal/topology"
)

// Env is the live lab as the checks see it. LiveEnv is the real one;
// the checks' judging functions are tested on plain evidence instead.
type Env interface {
	// Name is the lab's name.
	Name() string
	// Topology is the resolved topology the lab was brought up with.
	Topology() *topology.Topology
	// Hosts are the lab's hosts: the TOR, the client and the Kubernetes
	// nodes, each with a command interface.
	Hosts() []lab.Node
	// Kube is a clientset for the lab's cluster.
	Kube() (kubernetes.Interface, error)
	// Cluster reads the Nodes and the topology's Services with their
	// EndpointSlices.
	Cluster(ctx context.Context) (*Cluster, error)
	// Speakers can stop and restore one node's speaker; nil when the
	// backend cannot.
	Speakers() lab.SpeakerControl
	// Probe is the path of the lblab binary inside the nodes, for
	// in-node readers (IPVS through netlink); "" when there is none.
	Probe() string
	// PodExec runs a command in a pod's container (Cilium's agent).
	PodExec(ctx context.Context, namespace, pod, container string, argv ...string) ([]byte, error)
}

// host returns the named host.
func host(env Env, name string) (lab.Node, bool) {
	for _, h := range env.Hosts() {
		if h.Name == name {
			return h, true
		}
	}
	return lab.Node{}, false
}

// hostsByRole returns the hosts of one role.
func hostsByRole(env Env, roles ...lab.Role) []lab.Node {
	var out []lab.Node
	for _, h := range env.Hosts() {
		for _, r := range roles {
			if h.Role == r {
				out = append(out, h)
			}
		}
	}
	return out
}

// tor returns the TOR host.
func tor(env Env) (lab.Node, bool) { return observe.TOR(env.Hosts()) }
