package topology

import (
	"math"
	"reflect"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxNodeCount bounds the count form of nodes, which would otherwise
// let one number allocate without limit.
const maxNodeCount = 1000

// leaf decodes a scalar (or a map of scalars, such as labels) with yaml's
// own rules, and words a failure by what the field wants.
func (d *decoder) leaf(node *yaml.Node, v reflect.Value, path string) {
	if err := node.Decode(v.Addr().Interface()); err == nil {
		return
	}
	t := v.Type()
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if node.ShortTag() == "!!int" {
			lo, hi := intRange(t)
			d.fail(path, node.Line, "%s is out of range (%d to %d)", node.Value, lo, hi)
			return
		}
		d.fail(path, node.Line, "want an integer, got %s", describe(node))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if node.ShortTag() == "!!int" {
			d.fail(path, node.Line, "%s is out of range (0 to %d)", node.Value, uint64(1)<<t.Bits()-1)
			return
		}
		d.fail(path, node.Line, "want an integer, got %s", describe(node))
	case reflect.Bool:
		d.fail(path, node.Line, "want true or false, got %s", describe(node))
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			d.fail(path, node.Line, "want a mapping (key: value), got %s", describe(node))
			return
		}
		d.fail(path, node.Line, "keys and values must be strings")
	default:
		d.fail(path, node.Line, "want a string, got %s", describe(node))
	}
}

func intRange(t reflect.Type) (int64, int64) {
	if t.Bits() == 64 {
		return math.MinInt64, math.MaxInt64
	}
	return -1 << (t.Bits() - 1), 1<<(t.Bits()-1) - 1
}

// describe names what a node holds, for "want X, got Y".
func describe(node *yaml.Node) string {
	switch node.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	if node.ShortTag() == "!!str" {
		return strconv.Quote(node.Value)
	}
	return node.Value
}

// nodes decodes the list form or the count form of Nodes. A bad count is
// reported and its default used, so that validation does not add errors
// that only follow from it.
func (d *decoder) nodes(node *yaml.Node, n *Nodes, path string) {
	switch node.Kind {
	case yaml.SequenceNode:
		d.decode(node, reflect.ValueOf(&n.List).Elem(), path)
		return
	case yaml.MappingNode:
	default:
		d.fail(path, node.Line, "want a list of nodes or {controlPlanes: N, workers: M}, got %s", describe(node))
		return
	}
	var c nodeCounts
	d.fields(node, reflect.ValueOf(&c).Elem(), path)
	count := func(field string, v *int, def int) int {
		switch p := join(path, field); {
		case v == nil:
		case *v < 0:
			d.fail(p, d.lines[p], "%d must not be negative", *v)
		case *v > maxNodeCount:
			d.fail(p, d.lines[p], "%d is more than %d nodes", *v, maxNodeCount)
		default:
			return *v
		}
		return def
	}
	cps, workers := count("controlPlanes", c.ControlPlanes, 1), count("workers", c.Workers, 3)
	n.List = nil
	for range cps {
		n.List = append(n.List, Node{Role: RoleControlPlane})
	}
	for range workers {
		n.List = append(n.List, Node{Role: RoleWorker})
	}
}
