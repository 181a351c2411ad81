package netns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/supervise"
)

// Processes implements lab.ProcessBackend: every unit of the lab's
// supervisor and of each guest's, by host.
func (b *backend) Processes(ctx context.Context, name string) ([]lab.Process, error) {
	p, err := loadPlan(name)
	if err != nil {
		return nil, err
	}
	ps := newProcs(name, p)
	defer ps.close()
	hostOf := map[string]string{}
	for _, h := range p.hosts() {
		hostOf[h.ns] = h.name
	}
	var out []lab.Process
	add := func(host string, sts []supervise.Status) {
		for _, st := range sts {
			out = append(out, lab.Process{Host: host, Name: st.Name, State: st.State, PID: st.PID, Since: st.Since,
				Restarts: st.Restarts, LastExit: st.LastExit})
		}
	}
	sts, err := ps.lab.Status(ctx)
	if err != nil {
		if len(p.guests()) == 0 && errors.Is(err, syscall.ENOENT) {
			return nil, nil // a fabric-only lab runs no supervisor
		}
		return nil, fmt.Errorf("the lab's supervisor: %w", err)
	}
	units, err := readUnits(ps.y.supervisorUnits())
	if err != nil {
		return nil, err
	}
	for _, st := range sts {
		host := hostOf[units[st.ID].Netns]
		if host == "" || units[st.ID].Netns == p.fabricNS {
			host = strings.TrimSuffix(st.ID, "-uml") // a guest's kernel
		}
		add(host, []supervise.Status{st})
	}
	for _, g := range p.guests() {
		sts, err := ps.guests[g.name].Status(ctx)
		if err != nil {
			out = append(out, lab.Process{Host: g.name, Name: "supervisor", State: "unreachable: " + err.Error()})
			continue
		}
		add(g.name, sts)
	}
	order := map[string]int{}
	for i, h := range p.hosts() {
		order[h.name] = i
	}
	slices.SortStableFunc(out, func(a, b lab.Process) int { return order[a.Host] - order[b.Host] })
	return out, nil
}

// readUnits reads a supervisor's unit list, by ID.
func readUnits(path string) (map[string]supervise.Unit, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var units []supervise.Unit
	if err := json.Unmarshal(data, &units); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	out := map[string]supervise.Unit{}
	for _, u := range units {
		out[u.ID] = u
	}
	return out, nil
}
