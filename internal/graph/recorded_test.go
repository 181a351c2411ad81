package graph_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/graph"
	"github.com/lblab/lblab/internal/testutil/golden"
)

// TestRecordedLabs draws lab states recorded from real labs with `lblab
// graph -o json` (testdata/recorded/README.md says how): the JSON reads back
// to the same Graph, and the DOT and Mermaid drawn from it match their
// golden files. The recorded labs were green: every session is
// Established, every LB IP fans out to three workers with a ready pod.
func TestRecordedLabs(t *testing.T) {
	files, err := filepath.Glob("testdata/recorded/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("want the recorded bgp-ecmp and bgp-ecmp-dual labs, have %v", files)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var g graph.Graph
			if err := json.Unmarshal(data, &g); err != nil {
				t.Fatal(err)
			}
			var again bytes.Buffer
			if err := graph.JSON(&again, &g, graph.Options{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), data) {
				t.Errorf("the recorded graph does not read back to itself:\n%s", again.String())
			}
			if len(g.Sessions) == 0 || len(g.LBIPs) == 0 {
				t.Fatalf("recorded %s has %d sessions and %d LB IPs", name, len(g.Sessions), len(g.LBIPs))
			}
			for _, s := range g.Sessions {
				if !s.Established() {
					t.Errorf("recorded session %s %s is %q", s.Node, s.Family, s.State)
				}
			}
			for _, l := range g.LBIPs {
				ready := 0
				for _, fan := range l.Nodes {
					for _, p := range fan.Pods {
						if p.Ready {
							ready++
						}
					}
				}
				if len(l.Nexthops) != 3 || ready == 0 {
					t.Errorf("recorded %s: next hops %v, %d ready pods", l.IP, l.Nexthops, ready)
				}
			}
			for ext, write := range map[string]func(*bytes.Buffer) error{
				".dot": func(b *bytes.Buffer) error { return graph.DOT(b, &g, graph.Options{}) },
				".mmd": func(b *bytes.Buffer) error { return graph.Mermaid(b, &g, graph.Options{}) },
			} {
				var b bytes.Buffer
				if err := write(&b); err != nil {
					t.Fatal(err)
				}
				golden.Assert(t, filepath.Join("testdata/recorded", name+ext), b.Bytes())
			}
		})
	}
}
