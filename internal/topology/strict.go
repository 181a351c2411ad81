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

// checkKnown walks a YAML node against the Go type it will be decoded into.
// It reports every unknown field with its line and path, and records the
// line of every known one so that validation errors can point at it too.
func checkKnown(node *yaml.Node, t reflect.Type, path string, ln lines) []error {
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if _, ok := ln[path]; !ok {
		ln[path] = node.Line
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[Nodes]() {
		if node.Kind == yaml.MappingNode {
			return checkKnown(node, reflect.TypeFor[nodeCounts](), path, ln)
		}
		return checkKnown(node, reflect.TypeFor[[]Node](), path, ln)
	}
	var errs []error
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return nil // the decoder reports the type mismatch
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			sub := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				errs = append(errs, &FieldError{Path: sub, Line: k.Line,
					Msg: fmt.Sprintf("unknown field (known fields: %s)", strings.Join(sortedKeys(fields), ", "))})
				continue
			}
			ln[sub] = k.Line // a field's line is its key's line
			errs = append(errs, checkKnown(v, f, sub, ln)...)
		}
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			return nil
		}
		for i, v := range node.Content {
			errs = append(errs, checkKnown(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i), ln)...)
		}
	}
	return errs
}

// yamlFields maps the YAML keys of a struct type to their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
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
