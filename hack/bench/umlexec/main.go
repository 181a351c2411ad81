// Command umlexec measures the exec round trip into a running lab's
// user-mode Linux guests: `true` over one kept SSH connection (what
// verify and inspect do: lblab keeps one per guest) and over a new
// connection each time (what one `lblab exec` invocation pays, without
// the CLI's own start-up). It prints p50 and p99 per guest.
//
//	go run ./hack/bench/umlexec -lab NAME [-n 50]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/lblab/lblab/internal/backend/netns"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/uml"
)

func main() {
	labName := flag.String("lab", "", "lab name")
	n := flag.Int("n", 50, "round trips per measurement")
	flag.Parse()
	if err := bench(*labName, *n); err != nil {
		fmt.Fprintln(os.Stderr, "umlexec:", err)
		os.Exit(1)
	}
}

func bench(labName string, n int) error {
	ctx := context.Background()
	nodes, err := netns.New(netns.Options{}).Nodes(ctx, labName)
	if err != nil {
		return err
	}
	fmt.Printf("%-10s %-24s %9s %9s\n", "GUEST", "EXEC `true`", "p50", "p99")
	for _, node := range nodes {
		r, ok := node.Runner.(uml.Runner)
		if !ok {
			continue
		}
		kept, err := measure(n, func() error { _, err := r.Run(ctx, run.Cmd{Name: "true"}); return err })
		if err != nil {
			return err
		}
		cfg, err := uml.ClientConfig(r.KeyDir)
		if err != nil {
			return err
		}
		fresh, err := measure(n, func() error {
			c, err := ssh.Dial("tcp", r.Addr, cfg)
			if err != nil {
				return err
			}
			defer c.Close()
			s, err := c.NewSession()
			if err != nil {
				return err
			}
			defer s.Close()
			return s.Run("true")
		})
		if err != nil {
			return err
		}
		for _, m := range []struct {
			what string
			d    []time.Duration
		}{{"kept connection", kept}, {"new connection", fresh}} {
			fmt.Printf("%-10s %-24s %9s %9s\n", node.Name, m.what, pct(m.d, 50), pct(m.d, 99))
		}
	}
	return nil
}

func measure(n int, f func() error) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for range n {
		t := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t))
	}
	slices.Sort(out)
	return out, nil
}

func pct(d []time.Duration, p int) string {
	i := (len(d)*p + 99) / 100
	return d[min(max(i-1, 0), len(d)-1)].Round(100 * time.Microsecond).String()
}
