package uml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh"
)

// Server is the guest's SSH server: it runs commands (exec requests,
// through /bin/sh -c as OpenSSH does) and forwards connections to Unix
// sockets inside the guest (direct-streamlocal, as `ssh -L` does). It
// accepts one client key.
type Server struct {
	config *ssh.ServerConfig
	// Env is the environment of every command, before the client's own.
	Env []string
	Log *log.Logger
	// Self runs a command of this binary (one of SelfPaths, with its
	// arguments) in-process instead of starting it, when it says so.
	Self      SelfFunc
	SelfPaths []string
}

// SelfFunc returns how to run the binary's own command line args
// in-process (writing to stdout and stderr, returning the exit code), or
// nil when args must run as a process.
type SelfFunc func(args []string) func(stdout, stderr io.Writer) int

// NewServer reads the host key and the authorized client key.
func NewServer(hostKeyPath, authorizedKeyPath string) (*Server, error) {
	hostKey, err := readSigner(hostKeyPath)
	if err != nil {
		return nil, err
	}
	allowed, err := readPublic(authorizedKeyPath)
	if err != nil {
		return nil, err
	}
	want := allowed.Marshal()
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(k.Marshal(), want) {
				return &ssh.Permissions{}, nil
			}
			return nil, errNoKey
		},
		ServerVersion: "SSH-2.0-lblab-guest",
	}
	cfg.AddHostKey(hostKey)
	return &Server{config: cfg, Log: log.Default()}, nil
}

// Serve accepts connections on l until it is closed.
func (s *Server) Serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go s.handle(c)
	}
}

func (s *Server) handle(c net.Conn) {
	conn, chans, reqs, err := ssh.NewServerConn(c, s.config)
	if err != nil {
		_ = c.Close()
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			go s.session(nc)
		case "direct-streamlocal@openssh.com":
			go s.forward(nc)
		default:
			_ = nc.Reject(ssh.UnknownChannelType, "lblab's guest supports session and direct-streamlocal channels")
		}
	}
}

// forward connects a direct-streamlocal channel to its Unix socket.
func (s *Server) forward(nc ssh.NewChannel) {
	var req struct {
		Path      string
		Reserved0 string
		Reserved1 uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &req); err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, "bad direct-streamlocal request")
		return
	}
	sock, err := net.Dial("unix", req.Path)
	if err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		_ = sock.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(sock, ch)
		if uc, ok := sock.(*net.UnixConn); ok {
			_ = uc.CloseWrite()
		}
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(ch, sock)
		_ = ch.CloseWrite()
	}()
	wg.Wait()
	_ = ch.Close()
	_ = sock.Close()
}

// session serves one session channel: env requests, then one exec.
func (s *Server) session(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	env := append([]string(nil), s.Env...)
	var proc *exec.Cmd
	done := make(chan struct{})
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			ok := ssh.Unmarshal(req.Payload, &kv) == nil
			if ok {
				env = append(env, kv.Name+"="+kv.Value)
			}
			_ = req.Reply(ok, nil)
		case "exec":
			var cmd struct{ Command string }
			if proc != nil || ssh.Unmarshal(req.Payload, &cmd) != nil {
				_ = req.Reply(false, nil)
				continue
			}
			if run := s.self(cmd.Command); run != nil {
				_ = req.Reply(true, nil)
				go func() {
					status := struct{ Status uint32 }{uint32(run(ch, ch.Stderr()))}
					_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(&status))
					_ = ch.Close()
				}()
				continue
			}
			proc = command(cmd.Command, env)
			if err := s.start(ch, proc, env); err != nil {
				fmt.Fprintf(ch.Stderr(), "lblab guest: %v\n", err)
				_ = req.Reply(false, nil)
				return
			}
			// Replied before the exit status can be sent.
			_ = req.Reply(true, nil)
			go wait(ch, proc, done)
		case "signal":
			var sig struct{ Signal string }
			if proc != nil && ssh.Unmarshal(req.Payload, &sig) == nil {
				if n, ok := signals[ssh.Signal(sig.Signal)]; ok {
					_ = syscall.Kill(-proc.Process.Pid, n)
				}
			}
			_ = req.Reply(false, nil)
		default:
			_ = req.Reply(false, nil)
		}
	}
	// The client went away: its command goes too.
	if proc != nil {
		select {
		case <-done:
		default:
			_ = syscall.Kill(-proc.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
}

var signals = map[ssh.Signal]syscall.Signal{
	ssh.SIGHUP: syscall.SIGHUP, ssh.SIGINT: syscall.SIGINT, ssh.SIGKILL: syscall.SIGKILL,
	ssh.SIGTERM: syscall.SIGTERM, ssh.SIGQUIT: syscall.SIGQUIT, ssh.SIGUSR1: syscall.SIGUSR1,
	ssh.SIGUSR2: syscall.SIGUSR2,
}

// start runs proc with the channel as its stdin, stdout and stderr.
func (s *Server) start(ch ssh.Channel, proc *exec.Cmd, env []string) error {
	proc.Env = env
	proc.Dir = "/"
	proc.Stdout, proc.Stderr = ch, ch.Stderr()
	proc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := proc.StdinPipe()
	if err != nil {
		return err
	}
	if err := proc.Start(); err != nil {
		return err
	}
	// Not waited for: a client that never closes its stdin must not keep
	// the exit status from being sent.
	go func() {
		_, _ = io.Copy(stdin, ch)
		_ = stdin.Close()
	}()
	return nil
}

// wait reports proc's exit status (or the signal that ended it) on the
// channel and closes it, then done.
func wait(ch ssh.Channel, proc *exec.Cmd, done chan struct{}) {
	defer close(done)
	err := proc.Wait()
	var status struct{ Status uint32 }
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			sig := struct {
				Signal     string
				CoreDumped bool
				Error      string
				Lang       string
			}{Signal: signalName(ws.Signal())}
			_, _ = ch.SendRequest("exit-signal", false, ssh.Marshal(&sig))
			_ = ch.Close()
			return
		}
		status.Status = uint32(ee.ExitCode())
	default:
		status.Status = 255
	}
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(&status))
	_ = ch.Close()
}

// command runs a command line as OpenSSH does, through /bin/sh -c, unless
// it is plain words (what Runner sends): those are started directly,
// which saves the guest a process (tens of milliseconds in UML).
func command(line string, env []string) *exec.Cmd {
	argv, ok := Unquote(line)
	if !ok || len(argv) == 0 || strings.ContainsAny(argv[0], "=") {
		return exec.Command("/bin/sh", "-c", line)
	}
	path, err := lookPath(argv[0], env)
	if err != nil {
		return exec.Command("/bin/sh", "-c", line) // the shell says what is wrong, with its exit status
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	return cmd
}

// lookPath finds an executable program: a path, or a name in the PATH of
// env.
func lookPath(name string, env []string) (string, error) {
	executable := func(p string) bool {
		st, err := os.Stat(p)
		return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
	}
	if strings.Contains(name, "/") {
		if executable(name) {
			return name, nil
		}
		return "", exec.ErrNotFound
	}
	dirs := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			dirs = v
		}
	}
	for _, d := range filepath.SplitList(dirs) {
		if p := filepath.Join(d, name); executable(p) {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// self returns the in-process runner of a command line that starts this
// binary, or nil.
func (s *Server) self(command string) func(stdout, stderr io.Writer) int {
	if s.Self == nil {
		return nil
	}
	argv, ok := Unquote(command)
	if !ok || len(argv) == 0 || !slices.Contains(s.SelfPaths, argv[0]) {
		return nil
	}
	return s.Self(argv[1:])
}

func signalName(sig syscall.Signal) string {
	for name, n := range signals {
		if n == sig {
			return string(name)
		}
	}
	return "KILL"
}

// ListenAndServe serves on every address until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context, addrs []string) error {
	var ls []net.Listener
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range ls {
				_ = l.Close()
			}
			return fmt.Errorf("failed to listen on %s: %w", a, err)
		}
		ls = append(ls, l)
	}
	errs := make(chan error, len(ls))
	for _, l := range ls {
		go func() { errs <- s.Serve(l) }()
	}
	select {
	case <-ctx.Done():
		for _, l := range ls {
			_ = l.Close()
		}
		return nil
	case err := <-errs:
		return err
	}
}
