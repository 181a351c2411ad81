package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/lblab/lblab/topologies"
)

// DefaultName is the bundled topology used when none is given.
const DefaultName = "bgp-ecmp"

// Load reads a topology from a file path, or from the bundled topology of
// that name when no such file exists, then defaults and validates it.
func Load(nameOrPath string) (*Topology, error) {
	if nameOrPath == "" {
		nameOrPath = DefaultName
	}
	data, err := os.ReadFile(nameOrPath)
	file := nameOrPath
	if errors.Is(err, os.ErrNotExist) && !strings.ContainsRune(nameOrPath, os.PathSeparator) {
		data, err = topologies.Read(nameOrPath)
		if err != nil {
			return nil, fmt.Errorf("topology %q is neither a file nor a bundled topology (bundled: %s)",
				nameOrPath, strings.Join(topologies.Names(), ", "))
		}
		file = "topologies/" + nameOrPath + ".yaml"
	} else if err != nil {
		return nil, fmt.Errorf("failed to read topology: %w", err)
	}
	base := strings.TrimSuffix(filepath.Base(nameOrPath), filepath.Ext(nameOrPath))
	t, err := decode(data, base)
	if err != nil {
		var list *Errors
		if errors.As(err, &list) {
			list.File = file
		}
		return nil, err
	}
	return t, nil
}

// Decode strictly decodes one topology document, applies defaults and
// validates it. Every problem is reported, each with its line and field path.
func Decode(data []byte) (*Topology, error) { return decode(data, "") }

// decode is Decode with a lab name to use when the file sets none. Only a
// file that is not YAML or not a mapping, or one whose aliases expand
// beyond maxValues, stops early: every other problem, of decoding or of
// validation, is collected and reported together, by line.
func decode(data []byte, defaultName string) (*Topology, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Errors{List: []error{errors.New("the file is empty; start it with apiVersion: " + APIVersion + " and kind: " + Kind)}}
		}
		return nil, &Errors{List: []error{err}}
	}
	var list []error
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		list = append(list, fmt.Errorf("line %d: a topology file holds one document; found another", extra.Line))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Errors{List: append(list, fmt.Errorf("line %d: a topology is a mapping with apiVersion, kind, name, nodes, ...", root.Line))}
	}
	d := newDecoder()
	var t Topology
	d.decode(root, reflect.ValueOf(&t).Elem(), "")
	if d.values > maxValues {
		return nil, &Errors{List: append(list, d.errs...)} // what was decoded is not worth validating
	}
	invalid := validateHeader(&t, d.lines)
	if t.Name == "" {
		t.Name = defaultName
	}
	SetDefaults(&t)
	invalid = append(invalid, validate(&t, d.lines)...)
	list = append(append(list, d.errs...), d.withoutFollowOns(invalid)...)
	if len(list) > 0 {
		return nil, &Errors{List: byLine(list)}
	}
	return &t, nil
}

func validateHeader(t *Topology, ln lines) []error {
	e := &errs{lines: ln}
	switch {
	case t.APIVersion == "":
		e.add("apiVersion", "required; set apiVersion: %s", APIVersion)
	case t.APIVersion != APIVersion:
		e.add("apiVersion", "%q is not supported; use %s", t.APIVersion, APIVersion)
	}
	switch {
	case t.Kind == "":
		e.add("kind", "required; set kind: %s", Kind)
	case t.Kind != Kind:
		e.add("kind", "%q is not supported; use %s", t.Kind, Kind)
	}
	return e.list
}

// Marshal renders a topology as YAML, e.g. for the lab's state directory.
func Marshal(t *Topology) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(t); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}
