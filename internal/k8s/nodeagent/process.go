package nodeagent

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/lblab/lblab/internal/proc"
)

// linuxRuntime is the real Runtime: it forks each process from a thread
// that has entered the pod's namespace, so the process starts there
// directly, as an unprivileged user, in its own session.
type linuxRuntime struct {
	mu     sync.Mutex
	exited map[int]ProcState // the agent's own children that have exited
	own    map[int]bool      // the agent's own children still running

	cgroup       string // every process starts in this cgroup v2 directory ("": the agent's)
	cloneRefused atomic.Bool
	log          *slog.Logger
}

// NewLinuxRuntime returns the real Runtime with default options.
func NewLinuxRuntime() Runtime {
	r, _ := NewLinuxRuntimeWith(RuntimeOptions{})
	return r
}

// NewLinuxRuntimeWith returns the real Runtime. It marks every file
// descriptor the agent inherited close-on-exec, so none leaks into nginx
// (Go passes only stdin, stdout and stderr on purpose, but inherited
// descriptors that lack the flag would follow).
func NewLinuxRuntimeWith(o RuntimeOptions) (Runtime, error) {
	if o.PodCgroup != "" {
		if err := checkPodCgroup(o.PodCgroup); err != nil {
			return nil, err
		}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, e := range entries {
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
				if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
					_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC)
				}
			}
		}
	}
	return &linuxRuntime{exited: map[int]ProcState{}, own: map[int]bool{}, cgroup: o.PodCgroup, log: o.Log}, nil
}

func (r *linuxRuntime) Start(p Proc, onExit func()) (int, error) {
	log, err := os.OpenFile(p.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("failed to open %s: %w", p.LogFile, err)
	}
	defer log.Close()
	ns, err := netns.GetFromName(p.Netns)
	if err != nil {
		return 0, fmt.Errorf("failed to open network namespace %s: %w", p.Netns, err)
	}
	defer ns.Close()
	newCmd := func() *exec.Cmd {
		cmd := exec.Command(p.Argv[0], p.Argv[1:]...)
		cmd.Dir = "/"
		cmd.Env = podEnv()
		cmd.Stdout, cmd.Stderr = log, log
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Setsid:     true,
			Credential: &syscall.Credential{Uid: uint32(p.UID), Gid: uint32(p.GID), Groups: []uint32{}},
		}
		return cmd
	}
	fmt.Fprintf(log, "==> %s: starting %v in %s\n", time.Now().UTC().Format(time.RFC3339Nano), p.Argv, p.Netns)
	cmd, err := r.startProc(ns, newCmd, log)
	if err != nil {
		return 0, fmt.Errorf("failed to start %s: %w", p.Argv[0], err)
	}
	pid := cmd.Process.Pid
	r.mu.Lock()
	r.own[pid] = true
	for p, st := range r.exited { // forget statuses nobody asked for in an hour
		if time.Since(st.FinishedAt) > time.Hour {
			delete(r.exited, p)
		}
	}
	r.mu.Unlock()
	go func() {
		err := cmd.Wait()
		// nginx's workers outlive a master that was killed: end the
		// container's whole process group (its session), as a container
		// runtime ends the container.
		killGroup(pid)
		st := ProcState{Known: true, FinishedAt: time.Now()}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				st.Signal = int32(ws.Signal())
				st.ExitCode = 128 + st.Signal
			} else {
				st.ExitCode = int32(ee.ExitCode())
			}
		} else if err != nil {
			st.Known, st.ExitCode = false, 255
		}
		r.mu.Lock()
		delete(r.own, pid)
		r.exited[pid] = st
		r.mu.Unlock()
		if onExit != nil {
			onExit()
		}
	}()
	return pid, nil
}

func (r *linuxRuntime) State(pid int, match string) ProcState {
	r.mu.Lock()
	st, done := r.exited[pid]
	own := r.own[pid]
	r.mu.Unlock()
	if done {
		return st
	}
	if own || (pid > 0 && isProcess(pid, match)) {
		// An own child that has just exited counts as running until Wait
		// has its exit status (onExit follows at once).
		return ProcState{Running: true}
	}
	// Not ours (adopted from an earlier agent) and gone: its status is lost.
	if pid > 0 {
		killGroup(pid) // leftover workers, see Start
	}
	return ProcState{ExitCode: 255, FinishedAt: time.Now()}
}

func (r *linuxRuntime) Signal(pid int, match string, sig syscall.Signal) error {
	if pid <= 0 || !isProcess(pid, match) {
		return nil
	}
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("failed to signal pid %d: %w", pid, err)
	}
	return nil
}

func (r *linuxRuntime) KillNetns(name string) error {
	pids, err := proc.NetnsPIDs(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("failed to list processes in %s: %w", name, err)
	}
	self := os.Getpid()
	pids = slices.DeleteFunc(pids, func(p int) bool { return p == self })
	return proc.Kill(pids, 2*time.Second)
}

// isProcess reports whether pid runs (not a zombie) with match in its
// command line.
func isProcess(pid int, match string) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !bytes.Contains(cmdline, []byte(match)) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && len(stat) > i+2 && stat[i+2] != 'Z'
}

// lookupUser returns the uid and gid nginx runs as.
func lookupUser() (int, int, error) {
	for _, name := range []string{nginxUser, "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return uid, gid, nil
	}
	return 0, 0, fmt.Errorf("failed to find user %s or nobody to run nginx as", nginxUser)
}

// killGroup kills the nginx processes left in the process group pgid (the
// workers of a master that died; the master led its own session).
func killGroup(pgid int) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[2] != strconv.Itoa(pgid) {
			continue
		}
		if cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline"); bytes.HasPrefix(cmdline, []byte("nginx")) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// inherited are the agent's environment variables its pod processes get
// too: a user-mode Linux node sets them for every process, to keep
// programs off the vector extensions whose state UML does not preserve
// on hosts with AVX-512 (see internal/uml).
var inherited = []string{"GLIBC_TUNABLES", "GODEBUG"}

// podEnv is a pod process's environment.
func podEnv() []string {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	for _, k := range inherited {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
