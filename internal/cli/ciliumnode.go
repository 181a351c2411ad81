package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/lblab/lblab/internal/k8s/ciliumnode"
)

// newCiliumNodeCommand confines a Cilium agent to one netns node and
// becomes it (ciliumnode.Confine). A netns lab's supervisor starts it in
// the node's network namespace; its pid is the agent's.
func newCiliumNodeCommand() *cobra.Command {
	var runDir, cgroup string
	cmd := &cobra.Command{
		Use:    "cilium-node --run-dir DIR --cgroup DIR -- CILIUM-AGENT [ARGS...]",
		Short:  "Run cilium-agent confined to one netns node (started by a netns lab)",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if runDir == "" || cgroup == "" {
				return errors.New("cilium-node: --run-dir and --cgroup are required")
			}
			if err := ciliumnode.Confine(runDir, cgroup); err != nil {
				return err
			}
			return unix.Exec(args[0], args, os.Environ())
		},
	}
	cmd.Flags().StringVar(&runDir, "run-dir", "", "the node's directory for Cilium's sockets, seen by the agent as "+ciliumnode.RunDir)
	cmd.Flags().StringVar(&cgroup, "cgroup", "", "the node's cgroup v2 directory, the agent's --cgroup-root")
	return cmd
}
