package diag

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lblab/lblab/internal/dataplane/ipvs"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// Command is one command run inside a host, and the file its output goes to.
type Command struct {
	File string
	Argv []string
}

// HostCommands returns what the bundle collects from a host of a role, for
// a data plane. probe is the lblab binary inside the nodes ("" for none).
func HostCommands(role lab.Role, mode topology.Dataplane, probe string) []Command {
	switch role {
	case lab.RoleTOR:
		return []Command{
			{"running-config.txt", []string{"vtysh", "-c", "show running-config"}},
			{"bgp-summary.json", []string{"vtysh", "-c", "show bgp summary json"}},
			{"bgp-ipv4-unicast.json", []string{"vtysh", "-c", "show bgp ipv4 unicast json"}},
			{"bgp-ipv6-unicast.json", []string{"vtysh", "-c", "show bgp ipv6 unicast json"}},
			{"bgp-neighbors.json", []string{"vtysh", "-c", "show bgp neighbors json"}},
			{"ip-route.txt", []string{"ip", "route", "show"}},
			{"ip-6-route.txt", []string{"ip", "-6", "route", "show"}},
		}
	case lab.RoleClient:
		return []Command{{"ip-route.txt", []string{"ip", "route", "show"}}, {"ip-addr.txt", []string{"ip", "addr", "show"}}}
	}
	cmds := []Command{
		{"ip-addr.txt", []string{"ip", "addr", "show"}},
		{"ip-route.txt", []string{"ip", "route", "show"}},
		{"ip-6-route.txt", []string{"ip", "-6", "route", "show"}},
		{"gobgp-neighbor.txt", []string{"gobgp", "neighbor"}},
		{"gobgp-global-rib-ipv4.txt", []string{"gobgp", "global", "rib", "-a", "ipv4"}},
		{"gobgp-global-rib-ipv6.txt", []string{"gobgp", "global", "rib", "-a", "ipv6"}},
	}
	if probe != "" {
		cmds = append(cmds, Command{"gobgp-api.json", []string{probe, "probe", "gobgp"}})
	}
	switch mode {
	case topology.DataplaneIPTables:
		cmds = append(cmds, Command{"iptables-save.txt", []string{"iptables-save", "-c"}},
			Command{"ip6tables-save.txt", []string{"ip6tables-save", "-c"}})
	case topology.DataplaneNFTables:
		cmds = append(cmds, Command{"nft-ruleset.txt", []string{"nft", "list", "ruleset"}})
	case topology.DataplaneIPVS:
		if probe != "" {
			cmds = append(cmds, Command{"ipvs.json", []string{probe, "probe", "ipvs"}},
				Command{"ipsets.json", append([]string{probe, "probe", "ipset"}, ipvs.LBSetNames()...)})
		}
		cmds = append(cmds, Command{"ipset.txt", []string{"ipset", "list"}},
			Command{"iptables-save.txt", []string{"iptables-save", "-c"}})
	case topology.DataplaneEBPF:
		// The node's agent (netns nodes run cilium-dbg beside it), and the
		// iptables rules Cilium still writes for masquerading.
		cmds = append(cmds, Command{"cilium-status.txt", []string{"cilium-dbg", "status", "--verbose"}},
			Command{"cilium-bpf-lb-list.json", []string{"cilium-dbg", "bpf", "lb", "list", "-o", "json"}},
			Command{"cilium-bpf-lb-source-ranges.json", []string{"cilium-dbg", "bpf", "lb", "list", "--source-ranges", "-o", "json"}},
			Command{"cilium-endpoints.json", []string{"cilium-dbg", "endpoint", "list", "-o", "json"}},
			Command{"iptables-save.txt", []string{"iptables-save", "-c"}})
	}
	return cmds
}

// Collector writes one bundle.
type Collector struct {
	Hosts     []lab.Node
	Dataplane topology.Dataplane
	Probe     string
	// Logs copies the backend's component logs into a directory.
	Logs func(ctx context.Context, dir string) error
	// Kube writes the cluster's objects into a directory; nil without a cluster.
	Kube func(ctx context.Context, dir string) error
	// State is the lab's state directory, copied into state/ by CopyState
	// (no keys, no etcd data); "" leaves it out.
	State string
	// Extra files written as they are (e.g. the verify results).
	Extra map[string][]byte
}

// Write fills dir. It collects everything it can: a failing command or
// source is noted in errors.txt and does not stop the rest. Last, every
// file of the bundle goes through Redact: whatever a command, a log or a
// backend wrote, the bundle holds no private key, client-key-data or
// token.
func (c Collector) Write(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("failed to create the diagnostics bundle %s: %w", dir, err)
	}
	var mu sync.Mutex
	var problems []string
	note := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, h := range c.Hosts {
		hdir := filepath.Join(dir, "hosts", h.Name)
		if err := os.MkdirAll(hdir, 0o755); err != nil {
			note("%s: %v", h.Name, err)
			continue
		}
		for _, cmd := range HostCommands(h.Role, c.Dataplane, c.Probe) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				defer cancel()
				out, err := h.Command(cctx, cmd.Argv[0], cmd.Argv[1:]...)
				if err != nil {
					note("%s: %s: %v", h.Name, strings.Join(cmd.Argv, " "), err)
					out = append(out, []byte(fmt.Sprintf("\n# lblab: %s failed: %v\n", strings.Join(cmd.Argv, " "), err))...)
				}
				if err := os.WriteFile(filepath.Join(hdir, cmd.File), out, 0o644); err != nil {
					note("%s: %v", cmd.File, err)
				}
			}()
		}
	}
	sources := map[string]func(context.Context, string) error{"logs": c.Logs, "kubernetes": c.Kube}
	if c.State != "" {
		sources["state"] = func(_ context.Context, d string) error { return CopyState(c.State, d) }
	}
	for name, f := range sources {
		if f == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := filepath.Join(dir, name)
			if err := os.MkdirAll(sub, 0o755); err != nil {
				note("%s: %v", name, err)
				return
			}
			if err := f(ctx, sub); err != nil {
				note("%s: %v", name, err)
			}
		}()
	}
	wg.Wait()
	for name, data := range c.Extra {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			note("%s: %v", name, err)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		if err := os.WriteFile(filepath.Join(dir, "errors.txt"), []byte(strings.Join(problems, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	if err := redactTree(dir); err != nil {
		return fmt.Errorf("failed to remove credentials from the bundle %s: %w", dir, err)
	}
	return nil
}
