package topology

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Nodes is the lab's Kubernetes nodes. In a file it is either a count,
//
//	nodes: {controlPlanes: 1, workers: 3}
//
// or an explicit list,
//
//	nodes:
//	- {name: control-plane, role: control-plane}
//	- {name: node1, role: worker, labels: {rack: a}}
//
// After defaulting, List always holds every node.
type Nodes struct {
	List []Node
}

// nodeCounts is the count form of Nodes.
type nodeCounts struct {
	ControlPlanes *int `yaml:"controlPlanes,omitempty"`
	Workers       *int `yaml:"workers,omitempty"`
}

// UnmarshalYAML accepts the count form or the list form.
func (n *Nodes) UnmarshalYAML(value *yaml.Node) error {
	switch value.Kind {
	case yaml.SequenceNode:
		return value.Decode(&n.List)
	case yaml.MappingNode:
		var c nodeCounts
		if err := value.Decode(&c); err != nil {
			return err
		}
		cp, w := 1, 3
		if c.ControlPlanes != nil {
			cp = *c.ControlPlanes
		}
		if c.Workers != nil {
			w = *c.Workers
		}
		if cp < 0 || w < 0 {
			return fmt.Errorf("line %d: nodes: counts must not be negative", value.Line)
		}
		n.List = nil
		for i := 0; i < cp; i++ {
			n.List = append(n.List, Node{Role: RoleControlPlane})
		}
		for i := 0; i < w; i++ {
			n.List = append(n.List, Node{Role: RoleWorker})
		}
		return nil
	default:
		return fmt.Errorf("line %d: nodes: want a list of nodes or {controlPlanes: N, workers: M}", value.Line)
	}
}

// MarshalYAML writes the list form.
func (n Nodes) MarshalYAML() (any, error) { return n.List, nil }

// ControlPlanes returns the control-plane nodes.
func (n Nodes) ControlPlanes() []Node { return n.byRole(RoleControlPlane) }

// Workers returns the worker nodes.
func (n Nodes) Workers() []Node { return n.byRole(RoleWorker) }

func (n Nodes) byRole(r Role) []Node {
	var out []Node
	for _, x := range n.List {
		if x.Role == r {
			out = append(out, x)
		}
	}
	return out
}
