package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/table"
	"github.com/lblab/lblab/scenarios"
)

// Run is one verify run.
type Run struct {
	Lab       string `json:"lab"`
	Backend   string `json:"backend"`
	Dataplane string `json:"dataplane"`
	// Controller names the LoadBalancer controller and its version.
	Controller string             `json:"controller,omitempty"`
	Started    time.Time          `json:"started"`
	Duration   time.Duration      `json:"duration"`
	Results    []scenarios.Result `json:"results"`
	Passed     int                `json:"passed"`
	Failed     int                `json:"failed"`
	Skipped    int                `json:"skipped"`
	Bundle     string             `json:"diagnostics,omitempty"`
}

// Count fills Passed, Failed and Skipped.
func (r *Run) Count() {
	r.Passed, r.Failed, r.Skipped = 0, 0, 0
	for _, res := range r.Results {
		switch res.Status {
		case scenarios.Passed:
			r.Passed++
		case scenarios.Skipped:
			r.Skipped++
		default:
			r.Failed++
		}
	}
}

// summaryWidth bounds the evidence column of the table, in characters.
const summaryWidth = 110

// Table writes one row per check, then the reason of every failure in full.
func Table(w io.Writer, r *Run) error {
	rows := make([][]string, 0, len(r.Results))
	for _, res := range r.Results {
		s := res.Summary
		if r := []rune(s); len(r) > summaryWidth { // summaries hold "→" and the like
			s = string(r[:summaryWidth-1]) + "…"
		}
		rows = append(rows, []string{res.Name, strings.ToUpper(string(res.Status)), dur(res.Duration), s})
	}
	if err := table.Write(w, []string{"CHECK", "STATUS", "DURATION", "EVIDENCE"}, rows); err != nil {
		return err
	}
	for _, res := range r.Results {
		if res.Status == scenarios.Failed {
			fmt.Fprintf(w, "\nFAILED %s: %s\n", res.Name, res.Reason)
		}
	}
	what := r.Dataplane
	if r.Controller != "" {
		what += ", controller " + r.Controller
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped in %s (lab %s, %s)\n", r.Passed, r.Failed, r.Skipped, dur(r.Duration), r.Lab, what)
	return nil
}

func dur(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// JSON writes the run with all evidence.
func JSON(w io.Writer, r *Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// JUnit document types (the Ant/Jenkins schema CI systems read).
type (
	// Suites is <testsuites>.
	Suites struct {
		XMLName  xml.Name `xml:"testsuites"`
		Name     string   `xml:"name,attr"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Skipped  int      `xml:"skipped,attr"`
		Time     string   `xml:"time,attr"`
		Suites   []Suite  `xml:"testsuite"`
	}
	// Suite is <testsuite>.
	Suite struct {
		Name       string     `xml:"name,attr"`
		Tests      int        `xml:"tests,attr"`
		Failures   int        `xml:"failures,attr"`
		Errors     int        `xml:"errors,attr"`
		Skipped    int        `xml:"skipped,attr"`
		Time       string     `xml:"time,attr"`
		Timestamp  string     `xml:"timestamp,attr"`
		Hostname   string     `xml:"hostname,attr"`
		Properties []Property `xml:"properties>property"`
		Cases      []Case     `xml:"testcase"`
	}
	// Property is <property name value>.
	Property struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	// Case is <testcase>.
	Case struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *Failure `xml:"failure,omitempty"`
		Skipped   *Skip    `xml:"skipped,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	// Failure is <failure message type>evidence</failure>.
	Failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",cdata"`
	}
	// Skip is <skipped message/>.
	Skip struct {
		Message string `xml:"message,attr"`
	}
)

// hostname is os.Hostname, replaced in tests.
var hostname = os.Hostname

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// ToJUnit converts a run.
func ToJUnit(r *Run) Suites {
	host, _ := hostname()
	s := Suite{Name: "lblab verify " + r.Lab, Tests: len(r.Results), Failures: r.Failed, Skipped: r.Skipped,
		Time: secs(r.Duration), Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"), Hostname: host,
		Properties: []Property{{"lab", r.Lab}, {"backend", r.Backend}, {"dataplane", r.Dataplane}}}
	for _, res := range r.Results {
		c := Case{Name: res.Name, Classname: "lblab.verify." + r.Dataplane, Time: secs(res.Duration), SystemOut: res.Summary}
		switch res.Status {
		case scenarios.Skipped:
			c.Skipped = &Skip{Message: res.Summary}
		case scenarios.Passed:
		default:
			ev, _ := json.MarshalIndent(res.Evidence, "", "  ")
			body := strings.ReplaceAll(string(ev), "]]>", "]]]]><![CDATA[>")
			c.Failure = &Failure{Message: res.Reason, Type: "CheckFailed", Body: body}
		}
		s.Cases = append(s.Cases, c)
	}
	return Suites{Name: "lblab verify", Tests: s.Tests, Failures: s.Failures, Skipped: s.Skipped, Time: s.Time, Suites: []Suite{s}}
}

// JUnit writes JUnit XML.
func JUnit(w io.Writer, r *Run) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(ToJUnit(r)); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
