package cli

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/controller/speaker/l2"
	"github.com/lblab/lblab/internal/l2probe"
)

// newProbeL2Command asks the segment who answers for each address: an ARP
// request (IPv4) or a Neighbor Solicitation (IPv6) from the interface
// whose prefix holds it, and every distinct MAC that answers within
// --wait. verify runs it on the TOR for the l2-owner check.
func newProbeL2Command(g *globals) *cobra.Command {
	wait := 300 * time.Millisecond
	cmd := &cobra.Command{
		Use:   "l2 IP...",
		Short: "Print, as JSON, the MACs that answer ARP/NDP for each IP on this namespace's segment",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ips := make([]netip.Addr, len(args))
			for i, a := range args {
				ip, err := netip.ParseAddr(a)
				if err != nil {
					return fmt.Errorf("argument %d: %q is not an IP address", i+1, a)
				}
				ips[i] = ip.Unmap()
			}
			out := make(map[string][]string, len(ips))
			errs := make([]error, len(ips))
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i, ip := range ips {
				wg.Go(func() {
					ifi, err := l2.InterfaceFor(ip, nil)
					if err != nil {
						errs[i] = err
						return
					}
					macs, err := l2probe.Probe(cmd.Context(), "", ifi.Name, ip, wait)
					if err != nil {
						errs[i] = err
						return
					}
					list := make([]string, 0, len(macs))
					for _, m := range macs {
						list = append(list, m.String())
					}
					mu.Lock()
					out[ip.String()] = list
					mu.Unlock()
				})
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					return err
				}
			}
			return json.NewEncoder(g.stdout).Encode(out)
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", wait, "how long to collect answers")
	return cmd
}
