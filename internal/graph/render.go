package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Options choose what a writer draws.
type Options struct {
	// Service, as namespace/name, draws only that Service's LB IPs; ""
	// draws every LB IP. Hosts and BGP sessions are always drawn.
	Service string
}

// Formats are the formats Render writes: DOT and Mermaid text, SVG and PNG
// laid out by Graphviz's dot, and the Graph itself as JSON (what the other
// formats are drawn from; the tests' recorded lab states are such files).
func Formats() []string { return []string{"dot", "mermaid", "svg", "png", "json"} }

// ErrNoDot is returned by Render for svg and png when Graphviz's dot is
// not in PATH.
var ErrNoDot = errors.New("graphviz's dot is not installed: run `make setup` or `apt-get install graphviz`")

// Render writes g in format, one of Formats. SVG and PNG are Graphviz's
// dot run (under ctx) on what DOT writes, so every format but Mermaid has
// one layout. Nothing is written when rendering fails.
func Render(ctx context.Context, w io.Writer, g *Graph, o Options, format string) error {
	switch format {
	case "dot":
		return DOT(w, g, o)
	case "mermaid":
		return Mermaid(w, g, o)
	case "json":
		return JSON(w, g, o)
	case "svg", "png":
		var src bytes.Buffer
		if err := DOT(&src, g, o); err != nil {
			return err
		}
		out, err := runDot(ctx, src.Bytes(), format)
		if err != nil {
			return err
		}
		_, err = w.Write(out)
		return err
	}
	return fmt.Errorf("unknown graph format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

// JSON writes g, with only the LB IPs o selects, as indented JSON.
func JSON(w io.Writer, g *Graph, o Options) error {
	if g == nil {
		return errors.New("no graph to draw")
	}
	sel := *g
	if o.Service != "" {
		sel.LBIPs = nil
		for _, l := range g.LBIPs {
			if l.Service == o.Service {
				sel.LBIPs = append(sel.LBIPs, l)
			}
		}
	}
	data, err := json.MarshalIndent(&sel, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// runDot lays out and renders the DOT in src with `dot -T<format>`.
func runDot(ctx context.Context, src []byte, format string) ([]byte, error) {
	path, err := exec.LookPath("dot")
	if err != nil {
		return nil, ErrNoDot
	}
	cmd := exec.CommandContext(ctx, path, "-T"+format)
	cmd.Stdin = bytes.NewReader(src)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("failed to run dot -T%s: %w: %s", format, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// write writes what build wrote, in one piece, so a writer that fails
// leaves nothing half-drawn behind it from this package.
func write(w io.Writer, g *Graph, o Options, build func(*bytes.Buffer, *scene)) error {
	if g == nil {
		return errors.New("no graph to draw")
	}
	var b bytes.Buffer
	build(&b, newScene(g, o))
	_, err := w.Write(b.Bytes())
	return err
}
