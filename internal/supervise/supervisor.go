package supervise

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// stopGrace is how long a stopped unit has between SIGTERM and SIGKILL.
const stopGrace = 3 * time.Second

// Supervisor runs units and restarts them when they exit.
type Supervisor struct {
	mu      sync.Mutex
	units   map[string]*child
	file    string // where the unit list is kept; "" keeps none
	backoff Backoff
	// Env is added to every unit's environment (before its own).
	Env []string
}

// New returns a supervisor that keeps its unit list in file (when not
// empty) and starts, or adopts, the units already listed there.
func New(file string, b Backoff) (*Supervisor, error) {
	s := &Supervisor{units: map[string]*child{}, file: file, backoff: b}
	if file == "" {
		return s, nil
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	var units []Unit
	if err := json.Unmarshal(data, &units); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", file, err)
	}
	for _, u := range units {
		s.units[u.ID] = s.run(u, true)
	}
	return s, nil
}

// Ensure converges one unit: it starts it when it is new, restarts it when
// its command changed or restart (a reason) is not empty, and otherwise
// keeps it, running or waiting for its next restart.
func (s *Supervisor) Ensure(u Unit, restart string) (Result, error) {
	if u.ID == "" || len(u.Argv) == 0 || u.LogFile == "" || u.PIDFile == "" {
		return Result{}, fmt.Errorf("unit %q needs an id, a command, a log file and a pid file", u.ID)
	}
	if u.Name == "" {
		u.Name = u.ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res := Result{Action: Started}
	adopt := false
	if c, ok := s.units[u.ID]; ok {
		switch {
		case !c.unit.sameCommand(u):
			res = Result{Action: Restarted, Reason: "its command line changed"}
		case restart != "":
			res = Result{Action: Restarted, Reason: restart}
		default:
			c.unit.Name = u.Name
			return Result{Action: Kept}, nil
		}
		c.halt()
	} else if adoptable(u) {
		// Started by an earlier supervisor, or before supervisors.
		res, adopt = Result{Action: Kept}, true
	}
	s.units[u.ID] = s.run(u, adopt)
	return res, s.save()
}

// Remove stops a unit and forgets it. Removing an unknown unit succeeds.
func (s *Supervisor) Remove(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.units[id]
	if !ok {
		return nil
	}
	c.halt()
	delete(s.units, id)
	return s.save()
}

// Status returns every unit's state, by ID.
func (s *Supervisor) Status() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.units))
	for _, c := range s.units {
		out = append(out, c.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Shutdown stops every unit (SIGTERM, then SIGKILL) and keeps the list,
// so that the next supervisor starts them again.
func (s *Supervisor) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range s.units {
		wg.Add(1)
		go func() { defer wg.Done(); c.halt() }()
	}
	wg.Wait()
}

// save writes the unit list, sorted, atomically.
func (s *Supervisor) save() error {
	if s.file == "" {
		return nil
	}
	units := make([]Unit, 0, len(s.units))
	for _, c := range s.units {
		units = append(units, c.unit)
	}
	slices.SortFunc(units, func(a, b Unit) int { return strings.Compare(a.ID, b.ID) })
	data, err := json.MarshalIndent(units, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.file), 0o755); err != nil {
		return err
	}
	tmp := s.file + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.file)
}
