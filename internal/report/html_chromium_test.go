package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/net/html"

	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationHTMLInChromium opens the sample report in headless
// Chromium: its screenshot must show a page (several colours, a good share
// of pixels not white), and the DOM Chromium built must have the title.
func TestIntegrationHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; skipped with -short")
	}
	bin := testutil.Chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := HTML(&b, htmlSample(), HTMLOptions{GraphSVG: []byte(graphSVG)}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	img := testutil.Screenshot(t, bin, url)
	if colours, share := testutil.Inked(img); colours <= 2 || share < 0.03 {
		t.Errorf("the screenshot (%v) looks blank: %d colours, %.1f%% not white", img.Bounds().Size(), colours, 100*share)
	}

	dom := testutil.Headless(t, bin, url, "--dump-dom")
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	titles := find(find(doc, tag("head"))[0], tag("title"))
	if want := "lblab verify: bgp-ecmp — 2 passed, 1 failed, 1 skipped"; len(titles) != 1 || text(titles[0]) != want {
		t.Errorf("Chromium's DOM has the titles %v, want %q:\n%s", titles, want, dom)
	}
	if n := len(find(doc, func(n *html.Node) bool { return n.Data == "svg" })); n != 2 {
		t.Errorf("Chromium's DOM has %d <svg> elements, want the graph and the timeline", n)
	}
}
