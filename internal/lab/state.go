package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/lblab/lblab/internal/topology"
)

// Phase is how far a lab got.
type Phase string

// Lab phases.
const (
	PhaseProvisioning Phase = "provisioning"
	PhaseReady        Phase = "ready"
	PhaseFailed       Phase = "failed"
)

// State is what lblab remembers about a lab, in <state dir>/state.json.
type State struct {
	Name       string                  `json:"name"`
	Backend    string                  `json:"backend"`
	Dataplane  topology.Dataplane      `json:"dataplane"`
	Controller topology.ControllerType `json:"controller"`
	FabricOnly bool                    `json:"fabricOnly,omitempty"`
	Source     string                  `json:"source"` // the -t argument
	Phase      Phase                   `json:"phase"`
	Created    time.Time               `json:"created"`
	Updated    time.Time               `json:"updated"`
}

const (
	stateFile    = "state.json"
	topologyFile = "topology.yaml"
)

// LoadState reads a lab's state. It returns an error wrapping os.ErrNotExist
// when there is no such lab.
func LoadState(name string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(StateDir(name), stateFile))
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("failed to parse lab state %s: %w", filepath.Join(StateDir(name), stateFile), err)
	}
	return &s, nil
}

// SaveState writes a lab's state atomically.
func SaveState(s *State) error {
	s.Updated = time.Now().UTC()
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(StateDir(s.Name), stateFile), append(data, '\n'), 0o644)
}

// LoadTopology reads the resolved topology a lab was brought up with.
func LoadTopology(name string) (*topology.Topology, error) {
	data, err := os.ReadFile(filepath.Join(StateDir(name), topologyFile))
	if err != nil {
		return nil, err
	}
	return topology.Decode(data)
}

// SaveTopology writes the resolved topology (with the subnets lblab chose).
func SaveTopology(t *topology.Topology) error {
	data, err := topology.Marshal(t)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(StateDir(t.Name), topologyFile), data, 0o644)
}

// ListStates returns the state of every lab with a state directory, by name.
func ListStates() ([]*State, error) {
	entries, err := os.ReadDir(StateRoot())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*State
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		s, err := LoadState(e.Name())
		if err != nil {
			s = &State{Name: e.Name(), Phase: PhaseFailed}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Summaries is a backend's List: the labs with state on that backend, and
// the names of which it found only leftovers (resources without complete
// state), each once, by name.
func Summaries(backend string, leftovers []string) ([]Summary, error) {
	states, err := ListStates()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Summary
	for _, s := range states {
		if s.Backend == backend {
			seen[s.Name] = true
			out = append(out, Summary{Name: s.Name, Backend: backend, Partial: s.Phase != PhaseReady})
		}
	}
	for _, name := range leftovers {
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, Summary{Name: name, Backend: backend, Partial: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// WriteFileAtomic writes data to path through a temporary file and rename,
// creating the parent directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
