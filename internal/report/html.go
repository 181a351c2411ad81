package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"

	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/internal/version"
	"github.com/lblab/lblab/scenarios"
)

// HTMLOptions is what the HTML report shows besides the run.
type HTMLOptions struct {
	// GraphSVG is the lab's graph as an SVG document, drawn by the caller
	// (an XML prolog, DOCTYPE and comments before its <svg> are dropped);
	// nil when there is none.
	GraphSVG []byte
	// GraphError says why there is no graph; the page shows it when
	// GraphSVG is empty.
	GraphError string
}

// htmlPage is what the template renders.
type htmlPage struct {
	Title, Started, StartedISO, Duration, Version string
	Run                                           *Run
	Graph                                         template.HTML // trusted: checked by inlineSVG
	GraphError                                    string
	GraphText                                     string // a graph that could not be inlined, shown escaped
	Checks                                        []htmlCheck
}

// htmlCheck is one check's section.
type htmlCheck struct {
	Name, Status, Duration, Summary, Reason, Evidence string
	Attempts                                          int
	Timeline                                          template.HTML // drawn by Timeline
}

// HTML writes the run as one self-contained HTML page: a header with the
// lab and the counts, the lab's graph, and a section per check with its
// verdict, summary, reason and evidence (and node-failover's timeline).
// The page loads nothing: its CSS and SVG are inline. Everything read from
// the lab is escaped by html/template; the graph is inlined only when it
// is an <svg> element without scripts, and shown as text otherwise.
func HTML(w io.Writer, r *Run, o HTMLOptions) error {
	p := htmlPage{Run: r, Started: r.Started.UTC().Format("2006-01-02 15:04:05 MST"),
		StartedISO: r.Started.UTC().Format("2006-01-02T15:04:05Z"), Duration: dur(r.Duration), Version: version.Version,
		Title: fmt.Sprintf("lblab verify: %s — %d passed, %d failed", r.Lab, r.Passed, r.Failed)}
	if r.Skipped > 0 {
		p.Title += fmt.Sprintf(", %d skipped", r.Skipped)
	}
	switch svg, err := inlineSVG(o.GraphSVG); {
	case len(bytes.TrimSpace(o.GraphSVG)) == 0:
		p.GraphError = o.GraphError
		if p.GraphError == "" {
			p.GraphError = "no graph was drawn"
		}
	case err != nil:
		p.GraphError, p.GraphText = err.Error(), string(o.GraphSVG)
	default:
		p.Graph = svg
	}
	for _, res := range r.Results {
		p.Checks = append(p.Checks, htmlCheckOf(res))
	}
	return page.Execute(w, p)
}

// htmlCheckOf prepares one result for the template.
func htmlCheckOf(res scenarios.Result) htmlCheck {
	c := htmlCheck{Name: res.Name, Status: statusClass(res.Status), Duration: dur(res.Duration), Attempts: res.Attempts,
		Summary: res.Summary, Reason: res.Reason}
	if c.Reason != "" && strings.HasPrefix(c.Reason, c.Summary) {
		c.Summary = "" // the reason says it all
	}
	if res.Evidence != nil {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // the template escapes; the reader sees the lab's text
		enc.SetIndent("", "  ")
		if err := enc.Encode(res.Evidence); err != nil {
			c.Evidence = fmt.Sprintf("failed to encode the evidence: %v", err)
		} else {
			c.Evidence = b.String()
		}
	}
	if res.Name == topology.ScenarioNodeFailover {
		if ev, ok := failoverEvidence(res.Evidence); ok {
			c.Timeline = template.HTML(Timeline(ev)) // our drawing: every text in it is escaped
		}
	}
	return c
}

// statusClass is the CSS class and badge of a verdict; anything but passed
// or skipped counts as failed, as in Run.Count.
func statusClass(s scenarios.Status) string {
	switch s {
	case scenarios.Passed, scenarios.Skipped:
		return string(s)
	}
	return string(scenarios.Failed)
}

// failoverEvidence returns node-failover's evidence as its type: as the
// check left it, or decoded again when it went through JSON.
func failoverEvidence(v any) (scenarios.FailoverEvidence, bool) {
	switch ev := v.(type) {
	case nil:
		return scenarios.FailoverEvidence{}, false
	case scenarios.FailoverEvidence:
		return ev, true
	case *scenarios.FailoverEvidence:
		if ev == nil {
			return scenarios.FailoverEvidence{}, false
		}
		return *ev, true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return scenarios.FailoverEvidence{}, false
	}
	var ev scenarios.FailoverEvidence
	return ev, json.Unmarshal(b, &ev) == nil
}

// rootNamespaces matches the namespace declarations of an SVG's root
// element: HTML gives inline SVG its namespaces, and the page keeps no URL.
var rootNamespaces = regexp.MustCompile(`\s+xmlns(:[A-Za-z][-\w.]*)?\s*=\s*("[^"]*"|'[^']*')`)

// inlineSVG returns an SVG document as an element to inline in HTML:
// without what precedes its root (an XML prolog, a DOCTYPE, comments) and
// without the root's namespace declarations. It fails when the rest is not
// an <svg> element or holds a <script>.
func inlineSVG(doc []byte) (template.HTML, error) {
	s := strings.TrimSpace(string(doc))
	for {
		var end string
		switch {
		case strings.HasPrefix(s, "<?"):
			end = "?>"
		case strings.HasPrefix(s, "<!--"):
			end = "-->"
		case len(s) >= 9 && strings.EqualFold(s[:9], "<!DOCTYPE"):
			end = ">"
			if i, j := strings.IndexByte(s, '['), strings.IndexByte(s, '>'); i >= 0 && i < j {
				end = "]>" // an internal subset
			}
		}
		if end == "" {
			break
		}
		i := strings.Index(s, end)
		if i < 0 {
			return "", errors.New("the graph is not an SVG document: unterminated " + s[:min(len(s), 9)])
		}
		s = strings.TrimSpace(s[i+len(end):])
	}
	if !strings.HasPrefix(s, "<svg") || len(s) < 5 || !strings.ContainsRune(" \t\r\n>/", rune(s[4])) {
		return "", errors.New("the graph is not an SVG document")
	}
	if strings.Contains(strings.ToLower(s), "<script") {
		return "", errors.New("the graph holds a script")
	}
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return "", errors.New("the graph is not an SVG document: unterminated <svg")
	}
	root := rootNamespaces.ReplaceAllString(s[:end], "")
	return template.HTML(root + s[end:]), nil
}

// page is the HTML report's template; html/template escapes every value by
// its context.
var page = template.Must(template.New("report").Parse(pageTemplate))

// pageTemplate is the page. Its CSS is small on purpose: one column that
// narrows with the window, badges coloured by verdict, and print rules
// that keep the colours and drop the scroll boxes.
const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { color-scheme: light; --ok: #2e7d32; --failed: #c62828; --skipped: #757575; --line: #e0e0e0; --muted: #616161; }
body { font: 15px/1.45 system-ui, sans-serif; color: #212121; max-width: 1100px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
h2 { font-size: 1.1rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin-top: 1.5rem; }
h3 { display: inline; font-size: 1rem; margin: 0 .4rem; }
.facts { display: flex; flex-wrap: wrap; gap: .2rem 1.5rem; margin: .4rem 0; }
.facts div { display: flex; gap: .4rem; }
dt { color: var(--muted); }
dd { margin: 0; }
.counts span { font-weight: 600; }
.counts .passed { color: var(--ok); } .counts .failed { color: var(--failed); } .counts .skipped { color: var(--skipped); }
.badge { display: inline-block; min-width: 4.5em; padding: 0 .4em; border-radius: 3px; color: #fff; font-size: .8rem;
  font-weight: 600; text-align: center; text-transform: uppercase; }
.badge.passed { background: var(--ok); } .badge.failed { background: var(--failed); } .badge.skipped { background: var(--skipped); }
.check { border: 1px solid var(--line); border-left: 4px solid var(--skipped); border-radius: 4px; padding: .5rem .8rem; margin: .6rem 0; }
.check.passed { border-left-color: var(--ok); } .check.failed { border-left-color: var(--failed); }
.check p { margin: .3rem 0; }
.meta, .note { color: var(--muted); font-size: .85rem; }
summary { cursor: pointer; color: var(--muted); }
.reason summary { color: var(--failed); font-weight: 600; }
pre { background: #f5f5f5; padding: .5rem; margin: .3rem 0; font-size: .8rem; white-space: pre-wrap; overflow-wrap: anywhere;
  max-height: 30rem; overflow: auto; }
.graph svg { max-width: 100%; height: auto; }
figure { margin: .5rem 0; }
.timeline { width: 100%; max-width: 720px; height: auto; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  .check > header { break-after: avoid; }
  pre { max-height: none; overflow: visible; }
}
</style>
</head>
<body>
<header>
<h1>lblab verify: {{.Run.Lab}}</h1>
<dl class="facts">
<div><dt>backend</dt><dd>{{.Run.Backend}}</dd></div>
<div><dt>data plane</dt><dd>{{.Run.Dataplane}}</dd></div>
<div><dt>started</dt><dd><time datetime="{{.StartedISO}}">{{.Started}}</time></dd></div>
<div><dt>duration</dt><dd>{{.Duration}}</dd></div>
<div><dt>checks</dt><dd class="counts"><span class="passed">{{.Run.Passed}} passed</span>, <span class="failed">{{.Run.Failed}} failed</span>, <span class="skipped">{{.Run.Skipped}} skipped</span></dd></div>
{{- with .Run.Bundle}}
<div><dt>diagnostics bundle</dt><dd><code>{{.}}</code></dd></div>
{{- end}}
</dl>
</header>
<main>
<section class="graph">
<h2>The lab at the end of the run</h2>
{{if .Graph}}{{.Graph}}{{else}}<p class="note">graph unavailable: {{.GraphError}}</p>
{{- with .GraphText}}
<details><summary>what the renderer wrote</summary><pre>{{.}}</pre></details>
{{- end}}{{end}}
</section>
<section>
<h2>Checks</h2>
{{- range $c := .Checks}}
<article class="check {{.Status}}" id="check-{{.Name}}">
<header><span class="badge {{.Status}}">{{.Status}}</span><h3>{{.Name}}</h3><span class="meta">{{.Duration}}{{if gt .Attempts 1}}, {{.Attempts}} attempts{{end}}</span></header>
{{- with .Summary}}
<p class="summary">{{.}}</p>
{{- end}}
{{- with .Reason}}
<details class="reason" open><summary>why it failed</summary><pre>{{.}}</pre></details>
{{- end}}
{{- with .Timeline}}
<figure>{{.}}<figcaption class="note">Client requests per batch around the speaker's stop: green succeeded, red failed.</figcaption></figure>
{{- end}}
{{- with .Evidence}}
<details class="evidence"{{if eq $c.Status "failed"}} open{{end}}><summary>evidence</summary><pre>{{.}}</pre></details>
{{- end}}
</article>
{{- end}}
</section>
</main>
<footer class="note">Written by lblab {{.Version}}.</footer>
</body>
</html>
`
