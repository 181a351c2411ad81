package uml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/lblab/lblab/internal/run"
)

// Runner runs commands in a guest over SSH. It keeps one connection per
// guest for the life of the process (a new session per command costs a
// round trip, a new connection a key exchange), and dials again when the
// connection broke.
type Runner struct {
	// Addr is the guest's host:port.
	Addr string
	// KeyDir holds the lab's SSH keys (EnsureKeys).
	KeyDir string
}

// clients are the open connections, by address and key directory.
var clients = struct {
	sync.Mutex
	m map[string]*ssh.Client
}{m: map[string]*ssh.Client{}}

const dialTimeout = 5 * time.Second

// Client returns a connection to the guest, reusing an open one.
func (r Runner) Client(ctx context.Context) (*ssh.Client, error) {
	key := r.Addr + "|" + r.KeyDir
	clients.Lock()
	defer clients.Unlock()
	if c, ok := clients.m[key]; ok {
		return c, nil
	}
	cfg, err := ClientConfig(r.KeyDir)
	if err != nil {
		return nil, err
	}
	cfg.Timeout = dialTimeout
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", r.Addr)
	if err != nil {
		return nil, fmt.Errorf("failed to reach the guest's SSH server at %s: %w", r.Addr, err)
	}
	cc, chans, reqs, err := ssh.NewClientConn(conn, r.Addr, cfg)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("failed to log in to the guest at %s: %w", r.Addr, err)
	}
	c := ssh.NewClient(cc, chans, reqs)
	clients.m[key] = c
	go func() { // forget it once it breaks
		_ = c.Wait()
		clients.Lock()
		if clients.m[key] == c {
			delete(clients.m, key)
		}
		clients.Unlock()
	}()
	return c, nil
}

// session opens a session, dialling again once if the kept connection
// turns out to be dead.
func (r Runner) session(ctx context.Context) (*ssh.Session, error) {
	c, err := r.Client(ctx)
	if err != nil {
		return nil, err
	}
	s, err := c.NewSession()
	if err == nil {
		return s, nil
	}
	_ = c.Close()
	clients.Lock()
	delete(clients.m, r.Addr+"|"+r.KeyDir)
	clients.Unlock()
	if c, err = r.Client(ctx); err != nil {
		return nil, err
	}
	return c.NewSession()
}

// Run implements run.Runner: the command runs through the guest's shell
// with its arguments quoted, so it sees exactly argv.
func (r Runner) Run(ctx context.Context, c run.Cmd) ([]byte, error) {
	line := c.String()
	s, err := r.session(ctx)
	if err != nil {
		return nil, &run.Error{Cmd: line, ExitCode: -1, Err: err}
	}
	defer s.Close()
	for _, kv := range c.Env {
		k, v, _ := strings.Cut(kv, "=")
		if err := s.Setenv(k, v); err != nil {
			return nil, &run.Error{Cmd: line, ExitCode: -1, Err: fmt.Errorf("failed to set %s: %w", k, err)}
		}
	}
	var stdout, stderr bytes.Buffer
	s.Stdin = c.Stdin
	s.Stdout, s.Stderr = &stdout, &stderr
	if c.Stdout != nil {
		s.Stdout = c.Stdout
	}
	if c.Stderr != nil {
		s.Stderr = io.MultiWriter(c.Stderr, &stderr)
	}
	if err := s.Start(Quote(append([]string{c.Name}, c.Args...))); err != nil {
		return nil, &run.Error{Cmd: line, ExitCode: -1, Err: err}
	}
	waited := make(chan error, 1)
	go func() { waited <- s.Wait() }()
	select {
	case err = <-waited:
	case <-ctx.Done():
		_ = s.Signal(ssh.SIGKILL)
		_ = s.Close()
		return nil, &run.Error{Cmd: line, ExitCode: -1, Stderr: stderr.String(), Err: ctx.Err()}
	}
	if err != nil {
		code := -1
		var ee *ssh.ExitError
		if errors.As(err, &ee) && ee.Signal() == "" {
			code = ee.ExitStatus()
		}
		return stdout.Bytes(), &run.Error{Cmd: line, ExitCode: code, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// Quote makes one shell word of each argument.
func Quote(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, safeChars) == "" {
			parts[i] = a
			continue
		}
		parts[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(parts, " ")
}

// Unquote splits a command line made by Quote back into its words. It
// reports false for anything else (shell syntax beyond quoting).
func Unquote(line string) ([]string, bool) {
	var out []string
	var word strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			word.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == ' ':
			if inWord {
				out = append(out, word.String())
				word.Reset()
				inWord = false
			}
		case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
			word.WriteByte('\'')
			i++
			inWord = true
		case strings.IndexByte(safeChars, c) >= 0:
			word.WriteByte(c)
			inWord = true
		default:
			return nil, false
		}
	}
	if quoted {
		return nil, false
	}
	if inWord {
		out = append(out, word.String())
	}
	return out, true
}

// safeChars need no quoting.
const safeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%"

// Dial opens a connection to a Unix socket inside the guest.
func (r Runner) Dial(ctx context.Context, path string) (net.Conn, error) {
	c, err := r.Client(ctx)
	if err != nil {
		return nil, err
	}
	return c.DialContext(ctx, "unix", path)
}
