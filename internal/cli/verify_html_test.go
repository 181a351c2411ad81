package cli

import (
	"context"
	"errors"
	"testing"

	"github.com/lblab/lblab/scenarios"
)

// TestHTMLOptions: the graph's SVG reaches the page; a graph that cannot
// be drawn, or is not drawn after an interrupt, becomes the page's note.
func TestHTMLOptions(t *testing.T) {
	saved := renderGraphSVG
	t.Cleanup(func() { renderGraphSVG = saved })
	env := &scenarios.LiveEnv{LabName: "unit"}

	var gotBackend string
	renderGraphSVG = func(_ context.Context, e *scenarios.LiveEnv, backend string) ([]byte, error) {
		gotBackend = backend
		return []byte("<svg></svg>"), nil
	}
	if o := htmlOptions(context.Background(), env, "netns"); string(o.GraphSVG) != "<svg></svg>" || o.GraphError != "" || gotBackend != "netns" {
		t.Errorf("drawn: %+v (backend %q)", o, gotBackend)
	}

	renderGraphSVG = func(context.Context, *scenarios.LiveEnv, string) ([]byte, error) { return nil, errors.New("no dot") }
	if o := htmlOptions(context.Background(), env, "netns"); o.GraphSVG != nil || o.GraphError != "no dot" {
		t.Errorf("failed: %+v", o)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if o := htmlOptions(ctx, env, "netns"); o.GraphSVG != nil || o.GraphError != "not drawn: verify was interrupted" {
		t.Errorf("interrupted: %+v", o)
	}
}
