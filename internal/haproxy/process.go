package haproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultBinary is where Debian installs HAProxy.
const DefaultBinary = "/usr/sbin/haproxy"

// readyTimeout bounds Start's and Apply's wait for a worker when ctx has
// no deadline.
const readyTimeout = 30 * time.Second

// Process is a running HAProxy master and its worker, started by Start.
type Process struct {
	binary, dir string
	cmd         *exec.Cmd
	done        chan struct{}
	exitErr     error // set before done is closed

	mu      sync.Mutex // serializes Apply and Stop
	current []byte     // the configuration the worker runs
}

// Start writes cfg into cfg.Dir, validates it and starts HAProxy in
// master-worker mode as a child in its own process group, its output
// appended to Dir/haproxy.log (the previous run's is kept as
// haproxy.log.1). It returns once the worker answers on the stats
// socket. ctx bounds the start only; the process runs until Stop, or
// until this process dies: the master gets SIGKILL then (Pdeathsig) and
// its workers follow it.
//
// An HAProxy that an earlier, killed controller left running on the same
// Dir (its pid file names it) is killed first, so two never share the
// frontends' ports.
func Start(ctx context.Context, binary string, cfg Config) (*Process, error) {
	data, err := Render(cfg)
	if err != nil {
		return nil, err
	}
	if binary == "" {
		binary = DefaultBinary
	}
	if _, err := os.Stat(binary); err != nil {
		return nil, fmt.Errorf("HAProxy binary %s: %w (install haproxy or pass its path)", binary, err)
	}
	dir := filepath.Clean(cfg.Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the HAProxy directory: %w", err)
	}
	stopStale(cfg)
	if err := writeValidated(ctx, binary, cfg.Path(), data); err != nil {
		return nil, err
	}
	for _, f := range []string{StatsSocket, MasterSocket} {
		_ = os.Remove(filepath.Join(dir, f))
	}
	logPath := filepath.Join(dir, LogFile)
	_ = os.Rename(logPath, logPath+".1")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open HAProxy's log: %w", err)
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(binary, "-W", "-db", "-f", cfg.Path(), "-S", cfg.MasterSocket()+",mode,600")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Pdeathsig fires when the thread that forked the child exits; an
	// unlocked goroutine's thread lives as long as the process.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, fmt.Errorf("failed to start %s: %w", binary, err)
	}
	p := &Process{binary: binary, dir: dir, cmd: cmd, done: make(chan struct{}), current: data}
	go func() {
		p.exitErr = cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(ctx, nil, 0); err != nil {
		_ = p.Stop()
		return nil, fmt.Errorf("HAProxy did not come up: %w", err)
	}
	return p, nil
}

// Apply makes the process run cfg (whose Dir must be Start's, or empty).
// The new file is validated before it replaces the old one, so an invalid
// configuration returns HAProxy's error and the old one keeps running.
// Then the master reloads (the master CLI's reload, or SIGUSR2 when the
// CLI does not answer) and Apply waits until the new worker answers on
// the stats socket. An unchanged configuration is not reloaded.
func (p *Process) Apply(ctx context.Context, cfg Config) error {
	if cfg.Dir == "" {
		cfg.Dir = p.dir
	}
	if filepath.Clean(cfg.Dir) != p.dir {
		return fmt.Errorf("config Dir %s is not the running HAProxy's %s", cfg.Dir, p.dir)
	}
	data, err := Render(cfg)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return fmt.Errorf("HAProxy has exited (%v); it must be started again", p.exitErr)
	default:
	}
	if bytes.Equal(data, p.current) {
		return nil
	}
	path := cfg.Path()
	master := cfg.MasterSocket()
	before, err := showProc(ctx, master)
	if err != nil {
		return err
	}
	if err := writeValidated(ctx, p.binary, path, data); err != nil {
		return err
	}
	if err := saveState(ctx, cfg); err != nil {
		// Reload all the same: the servers start UP and are checked again.
		_ = os.Remove(cfg.StatePath())
	}
	logOff := fileSize(filepath.Join(p.dir, LogFile))
	if _, err := command(ctx, master, "reload"); err != nil {
		if kerr := syscall.Kill(before.master, syscall.SIGUSR2); kerr != nil {
			return fmt.Errorf("failed to reload HAProxy: %w (and SIGUSR2: %w)", err, kerr)
		}
	}
	if err := p.waitReady(ctx, &before, logOff); err != nil {
		// Keep the file what the worker runs, for the next reload.
		_ = writeFile(path, p.current)
		return fmt.Errorf("HAProxy did not reload: %w", err)
	}
	p.current = data
	return nil
}

// Stop ends HAProxy: SIGTERM to its process group (the master and its
// workers), SIGKILL after five seconds.
func (p *Process) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pgid := p.cmd.Process.Pid
	select {
	case <-p.done:
		// Workers outlive a killed master for a moment: end them too.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return nil
	default:
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	return nil
}

// Done is closed when the master has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits until the master exits and returns how it exited.
func (p *Process) Wait() error {
	<-p.done
	return p.exitErr
}

// Pid returns the master's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// StatsSocket returns the path of the runtime API socket, for ShowStat.
func (p *Process) StatsSocket() string { return filepath.Join(p.dir, StatsSocket) }

// LogPath returns the file HAProxy's output goes to.
func (p *Process) LogPath() string { return filepath.Join(p.dir, LogFile) }

// waitReady waits until a worker answers on the stats socket: after a
// reload (before is the master's processes before it), a worker that was
// not there before. logOff is where the log stood, for the error.
func (p *Process) waitReady(ctx context.Context, before *procs, logOff int64) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readyTimeout)
		defer cancel()
	}
	master, stats := filepath.Join(p.dir, MasterSocket), filepath.Join(p.dir, StatsSocket)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		select {
		case <-p.done:
			return fmt.Errorf("HAProxy exited (%v): %s", p.exitErr, p.logSince(logOff))
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %v; log: %s", context.Cause(ctx), last, p.logSince(logOff))
		case <-tick.C:
		}
		pr, err := showProc(ctx, master)
		if err != nil {
			last = err
			continue
		}
		if before != nil && pr.failed > before.failed {
			return fmt.Errorf("the master reports a failed reload: %s", p.logSince(logOff))
		}
		var worker int
		for _, w := range pr.workers {
			if before == nil || !slices.Contains(before.workers, w) {
				worker = w
			}
		}
		if worker == 0 {
			last = errors.New("no new worker yet")
			continue
		}
		pid, err := workerPID(ctx, stats)
		if err != nil {
			last = err
			continue
		}
		if pid == worker {
			return nil
		}
		last = fmt.Errorf("the stats socket is still answered by worker %d, not %d", pid, worker)
	}
}

// logSince returns HAProxy's alerts (or last lines) logged from off on.
func (p *Process) logSince(off int64) string {
	f, err := os.Open(filepath.Join(p.dir, LogFile))
	if err != nil {
		return "(no log)"
	}
	defer f.Close()
	if size := fileSize(f.Name()); size-off > 16<<10 {
		off = size - 16<<10
	}
	data, _ := io.ReadAll(io.NewSectionReader(f, off, 1<<20))
	if len(data) == 0 {
		return "(nothing logged)"
	}
	out := alerts(string(data))
	if lines := strings.Split(out, "\n"); len(lines) > 10 {
		out = strings.Join(lines[len(lines)-10:], "\n")
	}
	return out
}

// writeValidated writes data to path.new, validates it with HAProxy and
// renames it to path; an invalid file is removed and path left alone.
func writeValidated(ctx context.Context, binary, path string, data []byte) error {
	tmp := path + ".new"
	if err := writeFile(tmp, data); err != nil {
		return err
	}
	if err := Validate(ctx, binary, tmp); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("failed to put the HAProxy configuration in place: %w", err)
	}
	return nil
}

// writeFile writes data to path through a temporary file and a rename.
func writeFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("failed to write the HAProxy configuration: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("failed to write the HAProxy configuration: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failed to write the HAProxy configuration: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("failed to write the HAProxy configuration: %w", err)
	}
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// stopStale kills an HAProxy master (and its process group) that the pid
// file of cfg.Dir names and whose command line reads cfg's file: one an
// earlier controller started and could not stop.
func stopStale(cfg Config) {
	data, err := os.ReadFile(filepath.Join(cfg.Dir, PIDFile))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(cfg.Path())) {
		return
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for range 100 {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || bytes.Contains(stat, []byte(") Z ")) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
