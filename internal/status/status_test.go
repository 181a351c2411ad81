package status

import (
	"bytes"
	"regexp"
	"sync/atomic"
	"testing"
	"time"
)

func TestPlainLines(t *testing.T) {
	var b bytes.Buffer
	no := false
	l := New(&b, Options{ForceTTY: &no})
	s := l.Start("Creating fabric")
	s.End(true)
	s = l.Start("Starting FRR on tor")
	l.Infof("hello %d", 1)
	s.End(false)
	s.End(true) // a second End is ignored
	want := regexp.MustCompile(`^ • Creating fabric \.\.\.\n ✓ Creating fabric \(\S+\)\n • Starting FRR on tor \.\.\.\nhello 1\n ✗ Starting FRR on tor \(\S+\)\n$`)
	if !want.Match(b.Bytes()) {
		t.Errorf("output:\n%s", b.String())
	}
	steps := l.Steps()
	if len(steps) != 2 || !steps[0].OK || steps[1].OK || steps[1].Name != "Starting FRR on tor" {
		t.Errorf("steps = %+v", steps)
	}
}

func TestQuiet(t *testing.T) {
	var b bytes.Buffer
	l := New(&b, Options{Quiet: true})
	l.Start("ok step").End(true)
	l.Infof("info")
	l.Debugf(1, "debug")
	l.Start("bad step").End(false)
	if !regexp.MustCompile(`^ ✗ bad step \(\S+\)\n$`).Match(b.Bytes()) {
		t.Errorf("quiet output should hold only the failure:\n%q", b.String())
	}
}

func TestSpinner(t *testing.T) {
	var b bytes.Buffer
	yes := true
	l := New(&b, Options{ForceTTY: &yes})
	l.Start("Spinning").End(true)
	if !regexp.MustCompile(`(?s)Spinning.*\r\x1b\[K ✓ Spinning`).Match(b.Bytes()) {
		t.Errorf("spinner output: %q", b.String())
	}
}

// overlapWriter records whether two writes ever ran at the same time.
type overlapWriter struct {
	busy, overlapped atomic.Bool
}

func (w *overlapWriter) Write(p []byte) (int, error) {
	if !w.busy.CompareAndSwap(false, true) {
		w.overlapped.Store(true)
		return len(p), nil
	}
	time.Sleep(time.Millisecond)
	w.busy.Store(false)
	return len(p), nil
}

// Messages printed while a spinner runs never write at the same time as
// the spinner: both go through the logger's lock.
func TestSpinnerAndMessagesDoNotInterleave(t *testing.T) {
	var w overlapWriter
	yes := true
	l := New(&w, Options{ForceTTY: &yes})
	s := l.Start("Spinning")
	for end := time.Now().Add(350 * time.Millisecond); time.Now().Before(end); {
		l.Infof("a line while the spinner runs")
	}
	s.End(true)
	if w.overlapped.Load() {
		t.Error("the spinner wrote while a message was being written")
	}
}
