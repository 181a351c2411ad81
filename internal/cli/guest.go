package cli

import (
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/uml"
)

// newGuestInitCommand is a uml node's init, run by its kernel. The
// kernel hands init its bare command-line words as arguments and its
// KEY=VALUE words as the environment, so the configuration's path comes
// in uml.ConfigEnv.
func newGuestInitCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "guest-init",
		Short:  "Init of a user-mode Linux guest (run by its kernel)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			// `lblab probe` runs inside the guest's SSH server: starting
			// the lblab binary in a guest costs about a second of its one
			// CPU, which kube-proxy needs.
			return uml.Init(os.Getenv(uml.ConfigEnv), func(args []string) func(stdout, stderr io.Writer) int {
				if len(args) == 0 || args[0] != "probe" {
					return nil
				}
				return func(stdout, stderr io.Writer) int { return Run(args, stdout, stderr) }
			})
		},
	}
}
