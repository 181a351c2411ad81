package kind

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

// execRunner runs commands inside a container through the Exec API, the
// kind backend's `docker exec`.
type execRunner struct {
	docker    dockerAPI
	container string
}

func (r execRunner) Run(ctx context.Context, c run.Cmd) ([]byte, error) {
	argv := append([]string{c.Name}, c.Args...)
	if len(c.Env) > 0 {
		argv = append(append([]string{"env"}, c.Env...), argv...)
	}
	res, err := r.docker.Exec(ctx, r.container, argv, c.Stdin)
	line := "docker exec " + r.container + " " + c.String()
	if err != nil {
		return nil, &run.Error{Cmd: line, ExitCode: -1, Err: err}
	}
	if c.Stderr != nil {
		_, _ = c.Stderr.Write(res.Stderr)
	}
	out := res.Stdout
	if c.Stdout != nil {
		_, _ = c.Stdout.Write(res.Stdout)
		out = nil
	}
	if res.ExitCode != 0 {
		return out, &run.Error{Cmd: line, ExitCode: res.ExitCode, Stderr: string(res.Stderr),
			Err: fmt.Errorf("exit status %d", res.ExitCode)}
	}
	return out, nil
}

// Nodes returns the lab's hosts: tor, the kind nodes in topology order
// (named as kind and Kubernetes name them, roles from kind's container
// label), and client, each with its addresses on the kind network.
func (b *backend) Nodes(ctx context.Context, name string) ([]lab.Node, error) {
	d, err := b.api()
	if err != nil {
		return nil, err
	}
	t, err := lab.LoadTopology(name)
	if err != nil {
		return nil, fmt.Errorf("lab %q not found: %w", name, err)
	}
	node := func(ctr, display string, role lab.Role) (lab.Node, error) {
		info, err := d.Inspect(ctx, ctr, b.network)
		if err != nil {
			return lab.Node{}, fmt.Errorf("lab %q: %w (run `lblab up --backend kind --name %s` to repair it)", name, err, name)
		}
		if role == "" {
			role = lab.Role(info.Labels[kindRoleLabel])
		}
		return lab.Node{Name: display, Role: role, Addrs: familyAddrs(t.Network.IPFamily.HasV4(), t.Network.IPFamily.HasV6(), info.Addrs),
			Runner: execRunner{docker: d, container: ctr}}, nil
	}
	var out []lab.Node
	n, err := node(torName(name), "tor", lab.RoleTOR)
	if err != nil {
		return nil, err
	}
	out = append(out, n)
	for _, kn := range kindNodeNames(t) {
		n, err := node(kn, kn, "")
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	n, err = node(clientName(name), "client", lab.RoleClient)
	if err != nil {
		return nil, err
	}
	return append(out, n), nil
}

// Logs copies the lab's logs into dir: kind's own export (every node's
// journal, containerd and pod logs), and the TOR's and client's.
func (b *backend) Logs(ctx context.Context, name, dir string) error {
	d, err := b.api()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var errs []string
	if err := b.clusters().CollectLogs(name, filepath.Join(dir, "kind")); err != nil {
		errs = append(errs, err.Error())
	}
	for _, c := range []string{torName(name), clientName(name)} {
		if logs, err := d.Logs(ctx, c); err == nil {
			_ = os.WriteFile(filepath.Join(dir, c+".log"), logs, 0o644)
		}
	}
	if res, err := d.Exec(ctx, torName(name), []string{"cat", frrLogFile}, nil); err == nil && res.ExitCode == 0 {
		_ = os.WriteFile(filepath.Join(dir, "tor-frr.log"), res.Stdout, 0o644)
	}
	if len(errs) > 0 {
		return fmt.Errorf("failed to collect some logs: %s", strings.Join(errs, "; "))
	}
	return nil
}
