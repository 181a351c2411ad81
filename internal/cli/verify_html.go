package cli

import (
	"bytes"
	"context"
	"time"

	"github.com/lblab/lblab/internal/graph"
	"github.com/lblab/lblab/internal/report"
	"github.com/lblab/lblab/scenarios"
)

// renderGraphSVG draws the lab's graph as an SVG document for `verify -o
// html`, as `lblab graph -o svg` would; backend is the lab's backend
// ("netns", "kind"). Tests replace it.
var renderGraphSVG = func(ctx context.Context, env *scenarios.LiveEnv, backend string) ([]byte, error) {
	g, err := readGraph(ctx, env, backend)
	if err != nil {
		return nil, err
	}
	var svg bytes.Buffer
	if err := graph.Render(ctx, &svg, g, graph.Options{}, "svg"); err != nil {
		return nil, err
	}
	return svg.Bytes(), nil
}

// graphTimeout bounds drawing the graph for the HTML report.
const graphTimeout = time.Minute

// htmlOptions draws the lab's graph as it stands after the checks ran. A
// graph that cannot be drawn does not fail verify: the page says why.
func htmlOptions(ctx context.Context, env *scenarios.LiveEnv, backend string) report.HTMLOptions {
	if ctx.Err() != nil {
		return report.HTMLOptions{GraphError: "not drawn: verify was interrupted"}
	}
	gctx, cancel := context.WithTimeout(ctx, graphTimeout)
	defer cancel()
	svg, err := renderGraphSVG(gctx, env, backend)
	if err != nil {
		return report.HTMLOptions{GraphError: err.Error()}
	}
	return report.HTMLOptions{GraphSVG: svg}
}
