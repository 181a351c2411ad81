package run

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Recorder is a Runner for unit tests. It records every command and answers
// from canned responses, matched by the longest command-line prefix.
type Recorder struct {
	mu        sync.Mutex
	calls     []Cmd
	responses []response
}

type response struct {
	prefix string
	stdout string
	err    error
}

// Respond makes commands whose line starts with prefix print stdout.
func (r *Recorder) Respond(prefix, stdout string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.responses = append(r.responses, response{prefix: prefix, stdout: stdout})
}

// Fail makes commands whose line starts with prefix fail with stderr.
func (r *Recorder) Fail(prefix string, exitCode int, stderr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.responses = append(r.responses, response{prefix: prefix,
		err: &Error{Cmd: prefix, ExitCode: exitCode, Stderr: stderr, Err: fmt.Errorf("exit status %d", exitCode)}})
}

// Run records the command and returns the best matching response.
func (r *Recorder) Run(_ context.Context, c Cmd) ([]byte, error) {
	if c.Stdin != nil {
		data, _ := io.ReadAll(c.Stdin)
		c.Stdin = strings.NewReader(string(data))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
	line := c.String()
	best := -1
	for i, resp := range r.responses {
		if strings.HasPrefix(line, resp.prefix) && (best < 0 || len(resp.prefix) >= len(r.responses[best].prefix)) {
			best = i
		}
	}
	if best < 0 {
		return nil, nil
	}
	resp := r.responses[best]
	if resp.err != nil {
		return nil, resp.err
	}
	if c.Stdout != nil {
		_, _ = io.WriteString(c.Stdout, resp.stdout)
		return nil, nil
	}
	return []byte(resp.stdout), nil
}

// Calls returns the recorded commands.
func (r *Recorder) Calls() []Cmd {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Cmd(nil), r.calls...)
}

// Lines returns the recorded command lines, one string each.
func (r *Recorder) Lines() []string {
	var out []string
	for _, c := range r.Calls() {
		out = append(out, c.String())
	}
	return out
}
