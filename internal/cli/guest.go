package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/uml"
)

// newGuestKernelCommand is the hidden wrapper that boots a user-mode
// Linux guest: it installs the seccomp filter that makes UML save FPU
// state in a form every host accepts, then becomes the kernel.
func newGuestKernelCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "guest-kernel -- LINUX.UML ARGS...",
		Short:  "Boot a user-mode Linux guest (used by uml nodes)",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return uml.ExecKernel(args)
		},
	}
}

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
			return uml.Init(os.Getenv(uml.ConfigEnv))
		},
	}
}
