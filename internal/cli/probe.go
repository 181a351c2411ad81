package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/dataplane/ipvs"
	"github.com/lblab/lblab/internal/gobgpstate"
)

// newProbeCommand is the hidden in-node reader verify and inspect run
// inside a node (through the backend's node command interface), for state
// only a process in the node's namespace can read: IPVS and ipsets through
// netlink (kind's node image has neither ipvsadm nor ipset).
func newProbeCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "probe",
		Short:  "Read node state from inside a node (used by verify and inspect)",
		Hidden: true,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "ipvs",
		Short: "Print the IPVS table of this network namespace as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := ipvs.Netlink{}.Read(cmd.Context())
			if err != nil {
				return err
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(d); err != nil {
				return fmt.Errorf("failed to write the IPVS dump: %w", err)
			}
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "ipset NAME...",
		Short: "Print the named ipsets of this network namespace as JSON (absent ones are left out)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The netlink library logs attributes it does not know
			// (bucketsize, initval) to the standard logger.
			log.SetOutput(io.Discard)
			sets, err := ipvs.ReadSetsNetlink(args...)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(sets)
		},
	})
	api := gobgpstate.DefaultAPI
	gb := &cobra.Command{
		Use:   "gobgp",
		Short: "Print the speaker's neighbours and originated prefixes from GoBGP's API as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := gobgpstate.Read(cmd.Context(), api)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		},
	}
	gb.Flags().StringVar(&api, "api", api, "GoBGP gRPC API address")
	cmd.AddCommand(gb, newProbeL2Command(g), newProbeHAProxyCommand(g))
	return cmd
}
