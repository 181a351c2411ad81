package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Spec describes one long-running process.
type Spec struct {
	Name    string   // e.g. "kube-apiserver"
	Netns   string   // named network namespace; empty runs in the host's
	Argv    []string // program and arguments
	Env     []string // extra KEY=VALUE
	Dir     string   // working directory
	LogFile string
	PIDFile string
}

// NetnsPath is where named network namespaces are mounted.
const NetnsPath = "/run/netns"

// Command returns the exec.Cmd that Start would run (for tests and -v).
func (s Spec) Command() *exec.Cmd {
	argv := s.Argv
	if s.Netns != "" {
		argv = append([]string{"nsenter", "--net=" + filepath.Join(NetnsPath, s.Netns), "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.Dir = s.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// Start starts the process detached, appending its output to LogFile and
// writing its pid to PIDFile. It returns the pid.
func Start(s Spec) (int, error) {
	if len(s.Argv) == 0 {
		return 0, fmt.Errorf("%s: empty command", s.Name)
	}
	for _, f := range []string{s.LogFile, s.PIDFile} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return 0, err
		}
	}
	log, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("failed to open log for %s: %w", s.Name, err)
	}
	defer log.Close()
	fmt.Fprintf(log, "==> %s: starting %s\n", time.Now().UTC().Format(time.RFC3339Nano), strings.Join(s.Argv, " "))
	cmd := s.Command()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("failed to start %s: %w", s.Name, err)
	}
	pid := cmd.Process.Pid
	// Reap it if it exits while we are still running; nobody waits otherwise.
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(s.PIDFile, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return 0, err
	}
	return pid, nil
}

// ReadPID returns the pid in a pid file, or 0.
func ReadPID(pidFile string) int {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// Alive returns the pid recorded in pidFile if that process is running and
// its command line contains want (a program name guards against pid reuse).
func Alive(pidFile, want string) (int, bool) {
	pid := ReadPID(pidFile)
	if pid <= 0 {
		return 0, false
	}
	return pid, running(pid, want)
}

// Running reports whether pid is a live process: it exists and is not a
// zombie.
func Running(pid int) bool { return running(pid, "") }

func running(pid int, want string) bool {
	if want == "" {
		_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
		return err == nil && !zombie(pid)
	}
	cmdline, ok := readCmdline(pid)
	return ok && bytes.Contains(cmdline, []byte(want))
}

// Cmdline returns a live process's arguments, or nil when it is gone.
func Cmdline(pid int) []string {
	data, ok := readCmdline(pid)
	if !ok || len(data) == 0 {
		return nil
	}
	return strings.Split(string(bytes.TrimSuffix(data, []byte{0})), "\x00")
}

// execWindow bounds how long readCmdline waits for an exec to finish.
const execWindow = 200 * time.Millisecond

// readCmdline reads /proc/PID/cmdline of a live (not zombie) process. The
// kernel reports an empty command line for an instant during execve, after
// the exec has closed the CLOEXEC pipe through which exec.Cmd.Start learns
// that it succeeded, so a process that was just started can read empty:
// readCmdline waits that instant out. Only kernel threads stay empty.
func readCmdline(pid int) ([]byte, bool) {
	var cmdline []byte
	alive := false
	_ = wait.PollUntilContextTimeout(context.Background(), time.Millisecond, execWindow, true, func(context.Context) (bool, error) {
		var err error
		cmdline, err = os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		alive = err == nil && !zombie(pid)
		return !alive || len(cmdline) > 0, nil
	})
	if !alive {
		return nil, false
	}
	return cmdline, true
}

// zombie reports whether pid has exited and waits to be reaped:
// "pid (comm) Z ..." in /proc/PID/stat.
func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && len(stat) > i+2 && stat[i+2] == 'Z'
}

// Stop stops the process recorded in pidFile (if it is still want): SIGTERM,
// then SIGKILL after grace. It removes the pid file.
func Stop(pidFile, want string, grace time.Duration) error {
	defer os.Remove(pidFile)
	pid, ok := Alive(pidFile, want)
	if !ok {
		return nil
	}
	return Kill([]int{pid}, grace)
}

// Kill sends SIGTERM to every pid, waits up to grace for them to exit and
// sends SIGKILL to the rest.
func Kill(pids []int, grace time.Duration) error {
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	alive := func(pid int) bool { return running(pid, "") }
	gone := func(context.Context) (bool, error) { return !slices.ContainsFunc(pids, alive), nil }
	if wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, grace, true, gone) == nil {
		return nil
	}
	var errs []error
	for _, pid := range pids {
		if !alive(pid) {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("failed to kill pid %d: %w", pid, err))
		}
	}
	// A killed process lingers while the kernel tears it down; callers
	// (down) promise that nothing is left when they return.
	if err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 5*time.Second, true, gone); err != nil {
		var left []string
		for _, pid := range pids {
			if alive(pid) {
				left = append(left, fmt.Sprintf("%d (%s)", pid, strings.Join(Cmdline(pid), " ")))
			}
		}
		errs = append(errs, fmt.Errorf("killed processes still run after 5s: %s", strings.Join(left, ", ")))
	}
	return errors.Join(errs...)
}

// Tail returns the last n lines of a log file, for error messages.
func Tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
