package topology

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lines maps a field path (e.g. "network.ipv4Subnet") to its line in the file.
type lines map[string]int

// maxValues bounds the values one file may decode to: anchors and aliases
// can make a small file expand to millions.
const maxValues = 10_000

// decoder decodes a YAML node tree into a Topology one field at a time, so
// that a bad field is reported and skipped instead of hiding the others.
// Every unknown field, wrong type and bad node count is an error with its
// line and field path; a field that fails to decode keeps its zero value,
// which the defaults then fill in. It records the line of every field it
// sees, so that validation errors can point at them too.
type decoder struct {
	lines  lines
	errs   []error
	bad    []string // paths that failed to decode
	values int
}

func newDecoder() *decoder { return &decoder{lines: lines{}} }

// fail records a decoding problem at path.
func (d *decoder) fail(path string, line int, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
	d.bad = append(d.bad, path)
}

// decode fills v, which must be settable, from node; path is v's field path.
func (d *decoder) decode(node *yaml.Node, v reflect.Value, path string) {
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if _, ok := d.lines[path]; !ok {
		d.lines[path] = node.Line
	}
	if d.values++; d.values > maxValues {
		if d.values == maxValues+1 {
			d.fail(path, node.Line, "the file expands to more than %d values (through anchors and aliases?); stopped here", maxValues)
		}
		return
	}
	if node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null" {
		return // as if absent
	}
	if v.Type() == reflect.TypeFor[Nodes]() {
		d.nodes(node, v.Addr().Interface().(*Nodes), path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		// A struct keeps the fields that did decode, to be validated; a
		// scalar that failed stays unset, to be defaulted.
		e := reflect.New(v.Type().Elem())
		n := len(d.errs)
		d.decode(node, e.Elem(), path)
		if len(d.errs) == n || e.Elem().Kind() == reflect.Struct {
			v.Set(e)
		}
	case reflect.Struct:
		d.fields(node, v, path)
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			d.fail(path, node.Line, "want a list, got %s", describe(node))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(node.Content), len(node.Content))
		for i, e := range node.Content {
			d.decode(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	default:
		d.leaf(node, v, path)
	}
}

// fields decodes a mapping into a struct: every key must be a field.
func (d *decoder) fields(node *yaml.Node, v reflect.Value, path string) {
	if node.Kind != yaml.MappingNode {
		d.fail(path, node.Line, "want a mapping (key: value), got %s", describe(node))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, val := node.Content[i], node.Content[i+1]
		sub := join(path, k.Value)
		f, ok := fields[k.Value]
		switch {
		case !ok:
			d.errs = append(d.errs, &FieldError{Path: sub, Line: k.Line,
				Msg: fmt.Sprintf("unknown field (known fields: %s)", strings.Join(sortedKeys(fields), ", "))})
			continue
		case seen[k.Value] > 0:
			d.fail(sub, k.Line, "is set twice (first on line %d)", seen[k.Value])
			continue
		}
		seen[k.Value] = k.Line
		d.lines[sub] = k.Line // a field's line is its key's line
		d.decode(val, v.Field(f), sub)
	}
}

// yamlFields maps the YAML keys of a struct type to their field indexes.
func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = i
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
