package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/backend/netns"
	"github.com/lblab/lblab/internal/lab"
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
	var names []string
	if f.all {
		summaries, err := netns.New(netns.Options{}).List(ctx)
		if err != nil {
			return err
		}
		for _, s := range summaries {
			names = append(names, s.Name)
		}
	} else {
		name, err := resolveName(f.name, f.topology)
		if err != nil {
			return err
		}
		names = []string{name}
	}
	log := g.logger()
	for _, name := range names {
		b := lab.Backend(netns.New(netns.Options{}))
		if st, err := lab.LoadState(name); err == nil {
			if b, err = backendByName(st.Backend); err != nil {
				return err
			}
		}
		start := time.Now()
		step := log.Start(fmt.Sprintf("Deleting lab %q", name))
		err := lab.Down(ctx, b, name)
		step.End(err == nil)
		if err != nil {
			return err
		}
		log.Debugf(1, "deleted %s in %s", name, time.Since(start))
	}
	return nil
}
