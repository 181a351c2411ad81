package status

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// Logger prints progress and messages. The zero value is not usable; use New.
type Logger struct {
	w         io.Writer
	tty       bool
	quiet     bool
	verbosity int

	// mu guards the fields below and every write to w, the spinner's too.
	mu      sync.Mutex
	current *Step
	stop    chan struct{} // closed to end the running spinner; nil when none runs
	steps   []Step
}

// Step is one timed step of a longer operation.
type Step struct {
	Name     string
	Duration time.Duration
	OK       bool
	start    time.Time
	l        *Logger
}

// Options configure a Logger.
type Options struct {
	Quiet     bool // only errors
	Verbosity int  // 0 normal; 1+ debug messages
	// ForceTTY overrides terminal detection (tests).
	ForceTTY *bool
}

// New returns a Logger writing to w. A spinner is used when w is a terminal.
func New(w io.Writer, o Options) *Logger {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	if o.ForceTTY != nil {
		tty = *o.ForceTTY
	}
	return &Logger{w: w, tty: tty, quiet: o.Quiet, verbosity: o.Verbosity}
}

// Discard is a Logger that prints nothing.
func Discard() *Logger { return New(io.Discard, Options{Quiet: true}) }

var frames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Start begins a step. Call End on the result, typically deferred.
func (l *Logger) Start(name string) *Step {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endSpinnerLocked()
	s := &Step{Name: name, start: time.Now(), l: l}
	l.current = s
	switch {
	case l.quiet:
	case l.tty:
		l.stop = make(chan struct{})
		fmt.Fprintf(l.w, "\r %s %s ", frames[0], name)
		go l.spin(name, l.stop)
	default:
		fmt.Fprintf(l.w, " • %s ...\n", name)
	}
	return s
}

// spin redraws the spinner until stop is closed. It writes under l.mu,
// like every other output, and only while its spinner is still the
// running one.
func (l *Logger) spin(name string, stop chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 1; ; i++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		if l.stop == stop {
			fmt.Fprintf(l.w, "\r %s %s ", frames[i%len(frames)], name)
		}
		l.mu.Unlock()
	}
}

// endSpinnerLocked stops the running spinner and clears its line.
func (l *Logger) endSpinnerLocked() {
	if l.stop != nil {
		close(l.stop)
		l.stop = nil
		fmt.Fprint(l.w, "\r\033[K")
	}
}

// End finishes the step, printing ✓ or ✗ and its duration.
func (s *Step) End(ok bool) {
	l := s.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == s {
		l.endSpinnerLocked()
		l.current = nil
	}
	if s.Duration != 0 {
		return // already ended
	}
	s.Duration, s.OK = time.Since(s.start), ok
	l.steps = append(l.steps, *s)
	mark := "✓"
	if !ok {
		mark = "✗"
	}
	if !l.quiet || !ok {
		fmt.Fprintf(l.w, " %s %s (%s)\n", mark, s.Name, round(s.Duration))
	}
}

// Steps returns every finished step in order.
func (l *Logger) Steps() []Step {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Step(nil), l.steps...)
}

// Infof prints a message unless quiet.
func (l *Logger) Infof(format string, args ...any) { l.printf(!l.quiet, format, args...) }

// Debugf prints a message at verbosity v or above.
func (l *Logger) Debugf(v int, format string, args ...any) {
	l.printf(!l.quiet && l.verbosity >= v, format, args...)
}

// Warnf prints a warning, even when quiet.
func (l *Logger) Warnf(format string, args ...any) { l.printf(true, "WARNING: "+format, args...) }

// Writer returns the underlying writer (for tables and summaries).
func (l *Logger) Writer() io.Writer { return l.w }

func (l *Logger) printf(show bool, format string, args ...any) {
	if !show {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop != nil {
		fmt.Fprint(l.w, "\r\033[K")
	}
	fmt.Fprintf(l.w, format+"\n", args...)
}

func round(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	default:
		return d.Round(10 * time.Millisecond)
	}
}
