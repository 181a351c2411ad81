package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Cmd is one command invocation.
type Cmd struct {
	Name  string
	Args  []string
	Env   []string // added to the environment, KEY=VALUE
	Stdin io.Reader
	// Stdout and Stderr, when set, receive the output as it is produced.
	// The returned byte slice is then empty.
	Stdout, Stderr io.Writer
}

// String renders the command line for logs and errors.
func (c Cmd) String() string {
	parts := append([]string{c.Name}, c.Args...)
	for i, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t\n'\"$|&;<>()*?") {
			parts[i] = "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
	}
	return strings.Join(parts, " ")
}

// Runner runs commands. It returns stdout; a non-nil error is an *Error.
type Runner interface {
	Run(ctx context.Context, c Cmd) ([]byte, error)
}

// Error is a command that failed. It keeps what the command printed.
type Error struct {
	Cmd      string
	ExitCode int // -1 when the command did not start or was killed
	Stderr   string
	Err      error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		return fmt.Sprintf("command failed: %s: %v", e.Cmd, e.Err)
	}
	return fmt.Sprintf("command failed: %s: %v: %s", e.Cmd, e.Err, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Exec is the Runner that starts real processes.
type Exec struct{}

// Run starts the command and waits for it.
func (Exec) Run(ctx context.Context, c Cmd) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Name, c.Args...)
	if len(c.Env) > 0 {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	cmd.Stdin = c.Stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if c.Stdout != nil {
		cmd.Stdout = c.Stdout
	}
	if c.Stderr != nil {
		cmd.Stderr = io.MultiWriter(c.Stderr, &stderr)
	}
	if err := cmd.Run(); err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		if ctx.Err() != nil {
			// Killed because the context ended: say so ("signal: killed"
			// alone hides why), and let errors.Is find the context's error.
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return stdout.Bytes(), &Error{Cmd: c.String(), ExitCode: code, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// Output is a convenience: it runs name with args on r and returns stdout.
func Output(ctx context.Context, r Runner, name string, args ...string) ([]byte, error) {
	return r.Run(ctx, Cmd{Name: name, Args: args})
}
