package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/status"
)

// globals are the flags every verb has.
type globals struct {
	quiet     bool
	verbosity int
	stdout    io.Writer
	stderr    io.Writer
}

func (g *globals) logger() *status.Logger {
	return status.New(g.stderr, status.Options{Quiet: g.quiet, Verbosity: g.verbosity})
}

// exitError carries a specific exit code (e.g. verify's 1 and 2, exec's
// command status) through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// NewCommand returns the root command.
func NewCommand(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	cmd := &cobra.Command{
		Use:   "lblab",
		Short: "Reproduce and test Kubernetes LoadBalancer topologies",
		Long: `lblab brings up Kubernetes nodes and an FRR top-of-rack router on a shared
bridge, installs a LoadBalancer controller and a data plane, and checks that
LoadBalancer traffic really flows: ECMP routes on the TOR, rules on every node,
and nginx answering from outside.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "print only errors")
	cmd.PersistentFlags().CountVarP(&g.verbosity, "verbose", "v", "print more (repeat for even more)")
	cmd.AddCommand(
		newUpCommand(g),
		newDownCommand(g),
		newStatusCommand(g),
		newExecCommand(g),
		newVersionCommand(g),
		newComponentsCommand(g),
		newControllerCommand(g),
		newLBControllerCommand(g),
		newKubeconfigCommand(g),
		newKubectlCommand(g),
		newNodeAgentCommand(g),
		newVerifyCommand(g),
		newInspectCommand(g),
		newGraphCommand(g),
		newBenchCommand(g),
		newProbeCommand(g),
		newSpeakerCommand(g),
		newCPSpeakerCommand(g),
		newSuperviseCommand(),
		newGuestInitCommand(),
		newCiliumNodeCommand(),
	)
	return cmd
}

// Main runs the CLI and returns the process exit code.
func Main(args []string) int { return Run(args, os.Stdout, os.Stderr) }

// Run runs the CLI with args and the given output streams and returns the
// exit code: Main, and the in-process `lblab probe` of a uml node's SSH
// server.
func Run(args []string, stdout, stderr io.Writer) int {
	cmd := NewCommand(stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "ERROR:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "ERROR:", err)
	return 1
}
