package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/backend/kind"
	"github.com/lblab/lblab/internal/backend/netns"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/status"
)

type downFlags struct {
	name     string
	topology string
	all      bool
}

func newDownCommand(g *globals) *cobra.Command {
	f := &downFlags{}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Delete a lab and everything it made",
		Long: `Delete a lab: every namespace, link, process, container and file it made,
also after an up that was interrupted. Deleting a lab that does not exist
succeeds.`,
		Example: "  lblab down\n  lblab down --name lab2\n  lblab down --all",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runDown(cmd.Context(), g, f) },
	}
	cmd.Flags().StringVar(&f.name, "name", "", "lab name (default: the only lab, or the topology's name)")
	cmd.Flags().StringVarP(&f.topology, "topology", "t", "", "take the lab name from this topology")
	cmd.Flags().BoolVar(&f.all, "all", false, "delete every lab")
	return cmd
}

func runDown(ctx context.Context, g *globals, f *downFlags) error {
	return downLabs(ctx, g.logger(), f, []lab.Backend{netns.New(netns.Options{}), kind.New(kind.Options{})})
}

// downLabs deletes the labs f names, each through the backend that holds
// it: every lab the backends list with --all, else the named lab on the
// backend its state names (netns when it has no state: an absent lab, or
// namespaces left by an interrupted up). With --all, a lab that fails does
// not stop the others.
func downLabs(ctx context.Context, log *status.Logger, f *downFlags, backends []lab.Backend) error {
	labs, err := labsToDelete(ctx, f, backends)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range labs {
		i := slices.IndexFunc(backends, func(b lab.Backend) bool { return b.Name() == s.Backend })
		if i < 0 {
			return fmt.Errorf("lab %q is on the %q backend, which this lblab does not have", s.Name, s.Backend)
		}
		start := time.Now()
		step := log.Start(fmt.Sprintf("Deleting lab %q", s.Name))
		err = lab.Down(ctx, backends[i], s.Name)
		step.End(err == nil)
		if err != nil {
			if len(labs) > 1 {
				err = fmt.Errorf("lab %q: %w", s.Name, err)
			}
			errs = append(errs, err)
			continue
		}
		log.Debugf(1, "deleted %s in %s", s.Name, time.Since(start))
	}
	return errors.Join(errs...)
}

func labsToDelete(ctx context.Context, f *downFlags, backends []lab.Backend) ([]lab.Summary, error) {
	if f.all {
		var all []lab.Summary
		for _, b := range backends {
			labs, err := b.List(ctx)
			if err != nil {
				return nil, fmt.Errorf("failed to list the %s backend's labs: %w", b.Name(), err)
			}
			all = append(all, labs...)
		}
		return all, nil
	}
	name, err := resolveName(f.name, f.topology)
	if err != nil {
		return nil, err
	}
	s := lab.Summary{Name: name, Backend: "netns"}
	if st, err := lab.LoadState(name); err == nil {
		s.Backend = st.Backend
	}
	return []lab.Summary{s}, nil
}
