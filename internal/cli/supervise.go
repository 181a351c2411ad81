package cli

import (
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/supervise"
)

// newSuperviseCommand is a netns lab's process supervisor: it runs the
// lab's Kubernetes components, controller and speakers in their
// namespaces and restarts them when they exit.
func newSuperviseCommand() *cobra.Command {
	var socket, units string
	cmd := &cobra.Command{
		Use:    "supervise --socket PATH --units FILE",
		Short:  "Supervise a lab's processes (run by lblab up)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := supervise.New(units, supervise.DefaultBackoff)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			// Stopping the supervisor leaves its units running, for the
			// next one to adopt; `down` ends them all.
			return s.Serve(ctx, socket)
		},
	}
	cmd.Flags().StringVar(&socket, "socket", "", "the Unix socket of its API")
	cmd.Flags().StringVar(&units, "units", "", "where it keeps its unit list")
	_ = cmd.MarkFlagRequired("socket")
	_ = cmd.MarkFlagRequired("units")
	return cmd
}
