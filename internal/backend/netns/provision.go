package netns

import (
	"context"
	"fmt"
	"slices"
	"syscall"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
	"github.com/lblab/lblab/internal/run"
)

// provisionFabric creates whatever part of the lab's network is missing or
// broken. A fresh lab is built in a handful of iproute2 batches; on an
// existing lab, healthy hosts are left alone and broken ones rebuilt.
func (b *backend) provisionFabric(ctx context.Context, l *lab.Lab, p *plan) (err error) {
	step := l.Log.Start("Creating fabric")
	defer func() { step.End(err == nil) }()

	existing, err := b.labNamespaces(p.lab)
	if err != nil {
		return err
	}
	fabricOK := slices.Contains(existing, p.fabricNS) && b.linkExists(ctx, p.fabricNS, "br0")
	var rebuild []host
	switch {
	case len(existing) == 0:
		rebuild = p.hosts()
	case !fabricOK:
		l.Changed("rebuilt the fabric (bridge br0 was missing)")
		if err := b.deleteNamespaces(ctx, existing); err != nil {
			return err
		}
		rebuild = p.hosts()
	default:
		for _, h := range p.hosts() {
			if h.guest && b.linkExists(ctx, p.fabricNS, h.port) {
				continue // the guest itself is checked when it boots
			}
			if !h.guest && slices.Contains(existing, h.ns) && b.hasAddrs(ctx, h.ns, "eth0", h.fabricAddrs()) &&
				(h.role != lab.RoleTOR || b.hasAddrs(ctx, h.ns, "eth1", p.torUplink) &&
					(p.lb == nil || b.hasAddrs(ctx, h.ns, "eth2", p.torLB))) {
				continue
			}
			l.Changed("rebuilt host %s (its namespace or eth0 was missing)", h.name)
			rebuild = append(rebuild, h)
		}
		// The client's and the lb host's links hang off the TOR:
		// rebuilding one rebuilds both.
		if slices.ContainsFunc(rebuild, func(h host) bool { return h.role == lab.RoleTOR }) {
			for _, h := range p.hosts() {
				if (h.role == lab.RoleClient || h.role == lab.RoleLB) && !slices.ContainsFunc(rebuild, func(r host) bool { return r.name == h.name }) {
					rebuild = append(rebuild, h)
				}
			}
		}
	}
	if len(rebuild) > 0 && len(existing) == 0 {
		l.Changed("created namespaces, bridge and links for %d hosts", len(rebuild))
	}
	if err := b.buildHosts(ctx, p, rebuild, !fabricOK, existing); err != nil {
		return err
	}
	if !b.hasAddrs(ctx, "", p.hostLink, p.mgmt) {
		l.Changed("created the management link %s", p.hostLink)
		_ = b.ipBatch(ctx, "", []string{"link del " + p.hostLink}) // a half-made one
		if err := b.ipBatch(ctx, "", mgmtLines(p)); err != nil {
			return fmt.Errorf("failed to create the management link: %w", err)
		}
		if err := b.sysctls(ctx, "", mgmtSysctls(p)...); err != nil {
			return fmt.Errorf("failed to configure the management link %s: %w", p.hostLink, err)
		}
		if err := b.ipBatch(ctx, p.fabricNS, []string{"link set host master br0 up"}); err != nil {
			return fmt.Errorf("failed to attach the management link: %w", err)
		}
	}
	return nil
}

// buildHosts (re)creates the namespaces and links of the given hosts.
func (b *backend) buildHosts(ctx context.Context, p *plan, hosts []host, withFabric bool, existing []string) error {
	if len(hosts) == 0 {
		return nil
	}
	var add, stale []string
	if withFabric {
		add = append(add, p.fabricNS)
	}
	for _, h := range hosts {
		if h.guest {
			continue
		}
		if slices.Contains(existing, h.ns) && !withFabric {
			stale = append(stale, h.ns)
		}
		add = append(add, h.ns)
	}
	if err := b.deleteNamespaces(ctx, stale); err != nil {
		return err
	}
	var lines []string
	for _, ns := range add {
		lines = append(lines, "netns add "+ns)
	}
	if err := b.ipBatch(ctx, "", lines); err != nil {
		return fmt.Errorf("failed to create namespaces: %w", err)
	}
	if !withFabric {
		// Remove bridge ports left behind by the hosts being rebuilt.
		var del []string
		for _, h := range hosts {
			if h.port != "" && b.linkExists(ctx, p.fabricNS, h.port) {
				del = append(del, "link del "+h.port)
			}
		}
		if err := b.ipBatch(ctx, p.fabricNS, del); err != nil {
			return fmt.Errorf("failed to remove stale bridge ports: %w", err)
		}
	}
	for _, h := range hosts {
		if h.guest {
			continue // it sets its own
		}
		if err := b.sysctls(ctx, h.ns, append(hostSysctls(h), vipARPSysctls(p, h)...)...); err != nil {
			return fmt.Errorf("failed to configure %s: %w", h.name, err)
		}
	}
	if err := b.ipBatch(ctx, p.fabricNS, fabricLines(hosts, withFabric)); err != nil {
		return fmt.Errorf("failed to create the fabric: %w", err)
	}
	for _, h := range hosts { // TOR before client: the TOR creates the client's eth0
		if h.guest {
			continue // it configures its own network
		}
		if err := b.ipBatch(ctx, h.ns, hostLines(p, h)); err != nil {
			return fmt.Errorf("failed to configure %s: %w", h.name, err)
		}
	}
	return nil
}

func (b *backend) linkExists(ctx context.Context, ns, dev string) bool {
	args := []string{"link", "show", "dev", dev}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	_, err := b.runner.Run(ctx, run.Cmd{Name: "ip", Args: args})
	return err == nil
}

// deleteNamespaces kills every process in the namespaces, then deletes them.
// It sweeps until none is left: a supervisor (a node agent restarting its
// nginx) can start a process between listing and killing, and a process
// still inside a namespace when it is deleted would be lost to every later
// `down`.
func (b *backend) deleteNamespaces(ctx context.Context, names []string) error {
	return b.killAndDelete(ctx, "", names)
}

// killAndDelete is deleteNamespaces that also kills every process that
// carries owner's mark (proc.OwnerEnv), wherever it is; owner "" kills
// by namespace only.
func (b *backend) killAndDelete(ctx context.Context, owner string, names []string) error {
	if err := b.killAll(owner, names); err != nil {
		return err
	}
	if len(names) > 0 {
		var lines []string
		for _, ns := range names {
			lines = append(lines, "netns del "+ns)
		}
		if err := b.ipBatch(ctx, "", lines); err != nil {
			return fmt.Errorf("failed to delete namespaces: %w", err)
		}
	}
	if owner == "" {
		return nil
	}
	// A process that was on its way into a namespace (nsenter between its
	// start and its setns) while the first sweep ran is inside one now.
	return b.killAll(owner, nil)
}

// killAll freezes every process that labPIDs finds, sweeping until a pass
// finds no new one (so that none of them, a node agent restarting nginx
// say, can start another while they die), then kills them all.
func (b *backend) killAll(owner string, names []string) error {
	frozen := map[int]bool{}
	var pids []int
	for round := 0; round < 20; round++ {
		found, err := b.labPIDs(owner, names)
		if err != nil {
			return fmt.Errorf("failed to list the lab's processes: %w", err)
		}
		fresh := 0
		for _, pid := range found {
			if !frozen[pid] {
				frozen[pid] = true
				pids = append(pids, pid)
				_ = syscall.Kill(pid, syscall.SIGSTOP)
				fresh++
			}
		}
		if fresh == 0 {
			break
		}
	}
	return proc.Kill(pids, 0)
}

// labPIDs returns the pids in the named namespaces and, unless owner is
// "", those that carry owner's mark.
func labPIDs(owner string, namespaces []string) ([]int, error) {
	byNS, err := proc.PIDsByNetns(namespaces)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, ns := range namespaces {
		pids = append(pids, byNS[ns]...)
	}
	if owner != "" {
		owned, err := proc.OwnedPIDs(owner)
		if err != nil {
			return nil, err
		}
		pids = append(pids, owned...)
	}
	slices.Sort(pids)
	return slices.Compact(pids), nil
}
