package uml

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/run"
)

// srvSelf is the Server the last startServer started.
var srvSelf *Server

// startServer runs a Server on loopback with fresh keys; it returns a
// Runner for it.
func startServer(t *testing.T) Runner {
	t.Helper()
	dir := t.TempDir()
	if err := EnsureKeys(dir); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(filepath.Join(dir, HostKeyFile), filepath.Join(dir, ClientKeyFile+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "FROM_SERVER=yes"}
	srvSelf = srv
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() { _ = srv.Serve(l) }()
	return Runner{Addr: l.Addr().String(), KeyDir: dir}
}

func TestRunnerRuns(t *testing.T) {
	r := startServer(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		cmd        run.Cmd
		wantOut    string
		wantCode   int // -2: no error
		wantStderr string
	}{
		{"argv is kept word for word", run.Cmd{Name: "printf", Args: []string{"%s|", "a b", "it's", "", "$HOME"}}, "a b|it's||$HOME|", -2, ""},
		{"exit status and stderr", run.Cmd{Name: "sh", Args: []string{"-c", "echo out; echo err >&2; exit 3"}}, "out\n", 3, "err"},
		{"environment: the server's, then the client's", run.Cmd{Name: "sh", Args: []string{"-c", "echo $FROM_SERVER $FROM_CLIENT"}, Env: []string{"FROM_CLIENT=too"}}, "yes too\n", -2, ""},
		{"stdin", run.Cmd{Name: "tr", Args: []string{"a-z", "A-Z"}, Stdin: strings.NewReader("hello")}, "HELLO", -2, ""},
		{"a missing program", run.Cmd{Name: "no-such-program-lblab"}, "", 127, "not found"},
	}
	for _, tt := range tests {
		out, err := r.Run(ctx, tt.cmd)
		if string(out) != tt.wantOut {
			t.Errorf("%s: stdout %q, want %q", tt.name, out, tt.wantOut)
		}
		var re *run.Error
		switch {
		case tt.wantCode == -2 && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantCode != -2 && (!errors.As(err, &re) || re.ExitCode != tt.wantCode || !strings.Contains(re.Stderr, tt.wantStderr)):
			t.Errorf("%s: err %#v, want exit code %d and stderr with %q", tt.name, err, tt.wantCode, tt.wantStderr)
		}
	}
}

func TestRunnerStreams(t *testing.T) {
	r := startServer(t)
	var stdout, stderr bytes.Buffer
	out, err := r.Run(context.Background(), run.Cmd{Name: "sh", Args: []string{"-c", "echo o; echo e >&2"}, Stdout: &stdout, Stderr: &stderr})
	if err != nil || len(out) != 0 || stdout.String() != "o\n" || stderr.String() != "e\n" {
		t.Fatalf("out %q, stdout %q, stderr %q, err %v", out, stdout.String(), stderr.String(), err)
	}
}

// A cancelled context ends the remote command.
func TestRunnerCancel(t *testing.T) {
	r := startServer(t)
	marker := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := r.Run(ctx, run.Cmd{Name: "sh", Args: []string{"-c", "echo $$ > " + marker + "; exec sleep 30"}})
	if err == nil || time.Since(began) > 5*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(began))
	}
	data, _ := os.ReadFile(marker)
	pid := strings.TrimSpace(string(data))
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat("/proc/" + pid); err != nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the remote sleep (pid %s) outlived its cancelled session", pid)
		}
	}
}

// Dial reaches a Unix socket behind the server.
func TestRunnerDial(t *testing.T) {
	r := startServer(t)
	sock := filepath.Join(t.TempDir(), "echo.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			_, _ = io.Copy(c, c)
			_ = c.Close()
		}
	}()
	c, err := r.Dial(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("read %q, %v", buf, err)
	}
}

// A client without the lab's key is refused.
func TestServerRefusesOtherKeys(t *testing.T) {
	r := startServer(t)
	other := t.TempDir()
	if err := EnsureKeys(other); err != nil {
		t.Fatal(err)
	}
	// The other lab's client key, this lab's host key.
	data, _ := os.ReadFile(filepath.Join(r.KeyDir, HostKeyFile+".pub"))
	if err := os.WriteFile(filepath.Join(other, HostKeyFile+".pub"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (Runner{Addr: r.Addr, KeyDir: other}).Run(context.Background(), run.Cmd{Name: "true"}); err == nil {
		t.Fatal("a foreign key logged in")
	}
}

func TestQuote(t *testing.T) {
	got := Quote([]string{"ip", "-j", "route", "a b", "it's", "", "x=1,y"})
	want := `ip -j route 'a b' 'it'\''s' '' x=1,y`
	if got != want {
		t.Errorf("Quote = %s, want %s", got, want)
	}
}

func TestUnquote(t *testing.T) {
	for _, argv := range [][]string{
		{"ip", "-j", "route"},
		{"/usr/bin/lblab", "probe", "ipset", "KUBE-LOAD-BALANCER"},
		{"printf", "%s|", "a b", "it's", "", "$HOME", "x'y'z", "''"},
	} {
		got, ok := Unquote(Quote(argv))
		if !ok || strings.Join(got, "\x00") != strings.Join(argv, "\x00") || len(got) != len(argv) {
			t.Errorf("Unquote(Quote(%q)) = %q, %v", argv, got, ok)
		}
	}
	for _, line := range []string{"ip route | grep x", "echo $HOME", `echo "x"`, "a; b", "'open"} {
		if got, ok := Unquote(line); ok {
			t.Errorf("Unquote(%q) = %q, want a refusal", line, got)
		}
	}
}

// A command line that starts the server's own binary runs in-process when
// Self takes it; other command lines of that binary still run as processes.
func TestServerSelf(t *testing.T) {
	r := startServer(t)
	var ran []string
	srvSelf.Self = func(args []string) func(stdout, stderr io.Writer) int {
		if len(args) == 0 || args[0] != "probe" {
			return nil
		}
		return func(stdout, stderr io.Writer) int {
			ran = append(ran, strings.Join(args, " "))
			io.WriteString(stdout, "in-process\n")
			io.WriteString(stderr, "warning\n")
			return 3
		}
	}
	srvSelf.SelfPaths = []string{"/opt/lblab"}
	out, err := r.Run(context.Background(), run.Cmd{Name: "/opt/lblab", Args: []string{"probe", "ipvs"}})
	var re *run.Error
	if string(out) != "in-process\n" || !errors.As(err, &re) || re.ExitCode != 3 || re.Stderr != "warning\n" {
		t.Fatalf("out %q err %#v", out, err)
	}
	if len(ran) != 1 || ran[0] != "probe ipvs" {
		t.Errorf("ran %q", ran)
	}
	if _, err := r.Run(context.Background(), run.Cmd{Name: "/opt/lblab", Args: []string{"speaker"}}); !errors.As(err, &re) || re.ExitCode != 127 {
		t.Errorf("a command Self refuses must run as a process (here: not found), got %v", err)
	}
}
