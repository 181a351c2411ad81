package scenarios_test

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/lblab/lblab/internal/testutil"
)

// dotEdges returns the attributes of every DOT edge from → to.
func dotEdges(dot, from, to string) []string {
	re := regexp.MustCompile(`(?m)^\s*"` + regexp.QuoteMeta(from) + `" -> "` + regexp.QuoteMeta(to) + `" \[(.*)\];$`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(dot, -1) {
		out = append(out, m[1])
	}
	return out
}

// checkGraph draws the live lab as a user would and expects the picture to
// show what verify proved: an Established session per worker and family,
// and every LB IP fanning out over ECMP to the three workers with their
// pods; the PNG decodes at a size a lab's picture has.
func checkGraph(t *testing.T, name string, families []string, bfd bool) {
	t.Helper()
	// A node-failover that just ran leaves its node's sessions of the other
	// family, and its BFD session, coming back seconds after the route it
	// watched: judge the picture once the lab has settled, or after 30 s.
	var problems []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		problems = graphProblems(testutil.MustRun(t, "graph", "--name", name, "-o", "dot").Stdout, families, bfd)
		if len(problems) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
	res := testutil.MustRun(t, "graph", "--name", name, "-o", "png")
	img, err := png.Decode(bytes.NewReader([]byte(res.Stdout)))
	if err != nil {
		t.Fatalf("graph -o png does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dx() > 5000 || b.Dy() < 250 || b.Dy() > 4000 {
		t.Errorf("graph -o png is %dx%d, not the size of a lab's picture", b.Dx(), b.Dy())
	}
}

// graphProblems says where a drawn green lab differs from what verify
// proved.
func graphProblems(dot string, families []string, bfd bool) []string {
	var out []string
	for _, node := range []string{"node1", "node2", "node3"} {
		edges := strings.Join(dotEdges(dot, "host/tor", "host/"+node), "\n")
		for _, fam := range families {
			if !strings.Contains(edges, `label="`+fam+` Established`) {
				out = append(out, fmt.Sprintf("graph: no Established %s session with %s:\n%s", fam, node, edges))
			}
		}
		if bfd && strings.Count(edges, `\nBFD up`) != len(families) {
			out = append(out, fmt.Sprintf("graph: %s's sessions do not all show BFD up:\n%s", node, edges))
		}
	}
	lbips := regexp.MustCompile(`(?m)^\s*"(lbip/[^"]+)" \[`).FindAllStringSubmatch(dot, -1)
	if len(lbips) < len(families) {
		return append(out, fmt.Sprintf("graph has %d LB IPs, want one per family at least:\n%s", len(lbips), dot))
	}
	for _, m := range lbips {
		for _, node := range []string{"node1", "node2", "node3"} {
			if e := dotEdges(dot, m[1], "host/"+node); len(e) != 1 || !strings.Contains(e[0], `label="ECMP 1/3"`) {
				out = append(out, fmt.Sprintf("graph: %s → %s is %q, want one ECMP 1/3 edge", m[1], node, e))
			}
		}
	}
	if n := strings.Count(dot, `"pod/`); n < 3 {
		out = append(out, fmt.Sprintf("graph draws %d pod references, want the three pods", n))
	}
	return out
}

// checkGraphBroken expects node1's stopped speaker in the picture: its
// session drawn dashed and red with the TOR's state written, not
// Established.
func checkGraphBroken(t *testing.T, name string) {
	t.Helper()
	dot := testutil.MustRun(t, "graph", "--name", name, "-o", "dot").Stdout
	edges := dotEdges(dot, "host/tor", "host/node1")
	if len(edges) == 0 {
		t.Fatalf("graph has no session edge for node1:\n%s", dot)
	}
	for _, e := range edges {
		if strings.Contains(e, "Established") || !strings.Contains(e, "dashed") || !strings.Contains(e, `color="#c62828"`) {
			t.Errorf("node1's session with its speaker stopped is drawn as %s", e)
		}
	}
}

// checkHTMLReport runs verify -o html for one passing check, as a user
// would for a report to share, and opens the page in headless Chromium:
// its title gives the verdict, it inlines the lab's graph and, for
// node-failover, the timeline, and its screenshot is a drawn page.
func checkHTMLReport(t *testing.T, name, check string) {
	t.Helper()
	res := testutil.Run(t, "verify", "--name", name, "--scenario", check, "-o", "html")
	if res.ExitCode != 0 {
		t.Fatalf("verify -o html --scenario %s: exit %d\n%s", check, res.ExitCode, res.Stderr)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, []byte(res.Stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := testutil.Chromium(t)
	dom := testutil.Headless(t, bin, "file://"+page, "--dump-dom")
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	var title string
	var svgs, passed int
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.ElementNode && n.Data == "title" && n.FirstChild != nil && title == "": // the head's; SVGs have their own
			title = n.FirstChild.Data
		case n.Type == html.ElementNode && n.Data == "svg":
			svgs++
		case n.Type == html.ElementNode && n.Data == "article" && slices.Contains(strings.Fields(attrOf(n, "class")), "passed"):
			passed++
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if want := "lblab verify: " + name + " — 1 passed, 0 failed"; title != want {
		t.Errorf("the report's title in Chromium is %q, want %q", title, want)
	}
	if svgs != 2 || passed != 1 {
		t.Errorf("the report has %d <svg> (want the graph and the timeline) and %d passed checks (want 1)", svgs, passed)
	}
	img := testutil.Screenshot(t, bin, "file://"+page)
	if colours, share := testutil.Inked(img); colours <= 2 || share < 0.03 {
		t.Errorf("the report's screenshot looks blank: %d colours, %.1f%% not white", colours, 100*share)
	}
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
