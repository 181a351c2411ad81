package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/lblab/lblab/internal/backend/kind"
	"github.com/lblab/lblab/internal/backend/netns"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// backendByName returns a backend. kind joins netns in a later change.
func backendByName(name string) (lab.Backend, error) {
	switch name {
	case "", "netns":
		return netns.New(netns.Options{}), nil
	case "kind":
		return kind.New(kind.Options{}), nil
	default:
		return nil, fmt.Errorf("--backend %q: want netns or kind", name)
	}
}

// resolveName picks the lab a verb works on: --name, else the name of the
// -t topology, else the only lab there is, else the default topology's.
func resolveName(name, topo string) (string, error) {
	if name != "" {
		return name, nil
	}
	if topo != "" {
		t, err := topology.Load(topo)
		if err != nil {
			return "", err
		}
		return t.Name, nil
	}
	states, err := lab.ListStates()
	if err != nil {
		return "", err
	}
	if len(states) == 1 {
		return states[0].Name, nil
	}
	if len(states) > 1 {
		var names []string
		for _, s := range states {
			names = append(names, s.Name)
		}
		return "", fmt.Errorf("%d labs exist (%v); say which with --name", len(states), names)
	}
	return topology.DefaultName, nil
}

// existingLab loads a running lab's state and its backend.
func existingLab(name string) (*lab.State, lab.Backend, error) {
	st, err := lab.LoadState(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, &exitError{code: 2, err: fmt.Errorf("lab %q does not exist; start it with `lblab up --name %s`", name, name)}
	}
	if err != nil {
		return nil, nil, err
	}
	b, err := backendByName(st.Backend)
	if err != nil {
		return nil, nil, err
	}
	return st, b, nil
}
