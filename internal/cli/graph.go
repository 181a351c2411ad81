package cli

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/graph"
	"github.com/lblab/lblab/scenarios"
)

type graphFlags struct {
	name    string
	output  string
	service string
}

func newGraphCommand(g *globals) *cobra.Command {
	f := &graphFlags{}
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Draw the lab's live BGP sessions and each LoadBalancer IP's ECMP fan-out",
		Long: `graph draws the running lab as it stands: its hosts (addresses, AS numbers,
data plane, node kernel) and links, the TOR's BGP sessions with their
state, and for each LoadBalancer IP the TOR's ECMP route to the nodes and
each node's pods. It reads the lab through the same readers as verify and
inspect. SVG and PNG are laid out by Graphviz's dot; DOT and Mermaid are
text to render elsewhere (Mermaid pastes into Markdown).`,
		Example: `  lblab graph -o png > lab.png
  lblab graph -o svg --service default/web > web.svg
  lblab graph -o mermaid`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runGraph(cmd.Context(), g, f) },
	}
	cmd.Flags().StringVar(&f.name, "name", "", "lab name (default: the only lab)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "svg", strings.Join(graph.Formats(), ", "))
	cmd.Flags().StringVar(&f.service, "service", "", "only this Service's LB IPs (NAMESPACE/NAME)")
	return cmd
}

func runGraph(ctx context.Context, g *globals, f *graphFlags) error {
	if !slices.Contains(graph.Formats(), f.output) {
		return &exitError{code: 2, err: fmt.Errorf("-o %q: want one of %s", f.output, strings.Join(graph.Formats(), ", "))}
	}
	if f.service != "" && strings.Count(f.service, "/") != 1 {
		return &exitError{code: 2, err: fmt.Errorf("--service %q: want NAMESPACE/NAME", f.service)}
	}
	name, err := resolveName(f.name, "")
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	env, st, _, err := openLab(ctx, name)
	if err != nil {
		return err
	}
	gr, err := readGraph(ctx, env, st.Backend)
	if err != nil {
		return err
	}
	for _, p := range gr.Problems {
		g.logger().Warnf("%s", p)
	}
	if f.service != "" && !slices.ContainsFunc(gr.LBIPs, func(l graph.LBIP) bool { return l.Service == f.service }) {
		g.logger().Warnf("Service %s has no LoadBalancer IP in lab %q", f.service, name)
	}
	var out bytes.Buffer // nothing reaches stdout when rendering fails
	if err := graph.Render(ctx, &out, gr, graph.Options{Service: f.service}, f.output); err != nil {
		return err
	}
	_, err = g.stdout.Write(out.Bytes())
	return err
}

// readGraph reads the lab's live graph; the segment is what the backend
// calls the network the TOR and the nodes share.
func readGraph(ctx context.Context, env *scenarios.LiveEnv, backend string) (*graph.Graph, error) {
	segment := "bridge br0"
	if backend == "kind" {
		segment = "Docker network kind"
	}
	return graph.Read(ctx, env, backend, segment)
}
