package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

type execFlags struct {
	name string
}

func newExecCommand(g *globals) *cobra.Command {
	f := &execFlags{}
	cmd := &cobra.Command{
		Use:   "exec [--name LAB] HOST -- COMMAND [ARGS...]",
		Short: "Run a command inside a lab host (tor, client or a node)",
		Example: `  lblab exec tor -- vtysh -c 'show bgp summary json'
  lblab exec node1 -- ip -j addr
  lblab exec client -- wget -qO- http://198.51.100.0`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return errors.New("usage: lblab exec HOST -- COMMAND [ARGS...]")
			}
			return runExec(cmd.Context(), g, f, args[0], args[1:])
		},
	}
	cmd.Flags().StringVar(&f.name, "name", "", "lab name (default: the only lab)")
	return cmd
}

func findNode(ctx context.Context, name, host string) (lab.Node, error) {
	_, b, err := existingLab(name)
	if err != nil {
		return lab.Node{}, err
	}
	nodes, err := b.Nodes(ctx, name)
	if err != nil {
		return lab.Node{}, err
	}
	var names []string
	for _, n := range nodes {
		if n.Name == host {
			return n, nil
		}
		names = append(names, n.Name)
	}
	return lab.Node{}, fmt.Errorf("lab %q has no host %q (hosts: %v)", name, host, names)
}

func runExec(ctx context.Context, g *globals, f *execFlags, host string, argv []string) error {
	name, err := resolveName(f.name, "")
	if err != nil {
		return err
	}
	node, err := findNode(ctx, name, host)
	if err != nil {
		return err
	}
	_, err = node.Runner.Run(ctx, run.Cmd{Name: argv[0], Args: argv[1:], Stdin: os.Stdin, Stdout: g.stdout, Stderr: g.stderr})
	var re *run.Error
	if errors.As(err, &re) && re.ExitCode > 0 {
		return &exitError{code: re.ExitCode}
	}
	return err
}
