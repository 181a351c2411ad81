package supervise

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lblab/lblab/internal/proc"
)

// child is one unit and the goroutine that keeps it running.
type child struct {
	unit Unit
	stop chan struct{} // closed to stop the unit
	done chan struct{} // closed when the goroutine has ended

	mu         sync.Mutex
	state      string
	pid        int
	since      time.Time
	restarts   int
	lastExit   string
	lastExitAt time.Time
}

func (c *child) set(state string, pid int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state, c.pid, c.since = state, pid, time.Now()
}

func (c *child) status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Status{ID: c.unit.ID, Name: c.unit.Name, State: c.state, PID: c.pid, Since: c.since,
		Restarts: c.restarts, LastExit: c.lastExit, LastExitAt: c.lastExitAt}
}

// halt stops the unit's process and waits for its goroutine.
func (c *child) halt() {
	close(c.stop)
	<-c.done
}

// run starts u's goroutine. With adopt, a live process recorded in its pid
// file with u's command line is taken over instead of started.
func (s *Supervisor) run(u Unit, adopt bool) *child {
	c := &child{unit: u, stop: make(chan struct{}), done: make(chan struct{})}
	c.set("starting", 0)
	env := append(slices.Clone(s.Env), u.Env...)
	go func() {
		defer close(c.done)
		var delay time.Duration
		for {
			var p running
			var err error
			if adopt && adoptable(u) {
				p, err = adoptPID(proc.ReadPID(u.PIDFile))
			} else {
				p, err = start(u, env)
			}
			adopt = false
			began := time.Now()
			if err == nil {
				c.set("running", p.pid)
				select {
				case err = <-p.exited:
				case <-c.stop:
					p.kill(stopGrace)
					c.set("stopped", 0)
					return
				}
			}
			delay = s.backoff.next(delay, time.Since(began))
			c.mu.Lock()
			c.restarts++
			c.lastExit, c.lastExitAt = exitText(err), time.Now()
			c.mu.Unlock()
			c.set("waiting", 0)
			logLine(u.LogFile, "%s %s; restarting in %s", u.Name, exitText(err), delay)
			select {
			case <-time.After(delay):
			case <-c.stop:
				c.set("stopped", 0)
				return
			}
		}
	}()
	return c
}

func exitText(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exited with status 0"
	case errors.As(err, &ee):
		return "exited: " + ee.ProcessState.String()
	}
	return err.Error()
}

// adoptable reports whether u's pid file names a live process running u's
// command line.
func adoptable(u Unit) bool {
	pid := proc.ReadPID(u.PIDFile)
	return pid > 0 && slices.Equal(proc.Cmdline(pid), u.Argv)
}

// running is a started or adopted process.
type running struct {
	pid    int
	exited chan error
	kill   func(grace time.Duration)
}

// start runs u with its output appended to its log file and its pid in
// its pid file, in its own session.
func start(u Unit, env []string) (running, error) {
	for _, f := range []string{u.LogFile, u.PIDFile} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return running{}, err
		}
	}
	log, err := os.OpenFile(u.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return running{}, fmt.Errorf("failed to open its log: %w", err)
	}
	defer log.Close()
	fmt.Fprintf(log, "==> %s: starting %s\n", time.Now().UTC().Format(time.RFC3339Nano), strings.Join(u.Argv, " "))
	cmd := proc.Spec{Netns: u.Netns, Argv: u.Argv, Env: env}.Command()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return running{}, fmt.Errorf("failed to start: %w", err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(u.PIDFile, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return running{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return running{pid: pid, exited: exited, kill: func(grace time.Duration) {
		terminate(pid, grace, exited)
	}}, nil
}

// adoptPID takes over a process this supervisor did not start (its
// predecessor did), waiting for it through a pidfd.
func adoptPID(pid int) (running, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return running{}, fmt.Errorf("failed to adopt pid %d: %w", pid, err)
	}
	exited := make(chan error, 1)
	go func() {
		defer unix.Close(fd)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err == nil || !errors.Is(err, unix.EINTR) {
				break
			}
		}
		exited <- fmt.Errorf("pid %d (adopted) exited", pid)
	}()
	return running{pid: pid, exited: exited, kill: func(grace time.Duration) {
		terminate(pid, grace, exited)
	}}, nil
}

// terminate sends SIGTERM, then SIGKILL after grace, and waits for exited.
func terminate(pid int, grace time.Duration, exited chan error) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-exited:
		return
	case <-time.After(grace):
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	<-exited
}

// logLine appends one "==> time: ..." line to a unit's log.
func logLine(path, format string, args ...any) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "==> %s: %s\n", time.Now().UTC().Format(time.RFC3339Nano), fmt.Sprintf(format, args...))
}
