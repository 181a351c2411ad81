package testutil

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvIntegration, when "1", makes integration tests fail instead of skip
// when they cannot run. .ci/run sets it, so CI never skips them silently.
const EnvIntegration = "LBLAB_INTEGRATION"

// Integration skips the test under -short, and when the machine cannot run
// labs (not root) unless LBLAB_INTEGRATION=1, in which case it fails.
func Integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test; skipped with -short")
	}
	if os.Geteuid() != 0 {
		if os.Getenv(EnvIntegration) == "1" {
			t.Fatal("integration tests need root, and LBLAB_INTEGRATION=1 says they must run")
		}
		t.Skip("integration test needs root (set LBLAB_INTEGRATION=1 to make this a failure)")
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// RepoRoot returns the module's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// binDirPrefix starts the name of the directory Binary builds into, which
// goes on with the test process's pid: nothing runs after a test binary's
// last test to remove it, so the next Binary removes those of exited pids.
const binDirPrefix = "lblab-test-bin-"

// Binary builds ./cmd/lblab once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		removeStaleBinaries()
		dir, err := os.MkdirTemp("", binDirPrefix+strconv.Itoa(os.Getpid())+"-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "lblab")
		// Built like `make build`: static and stripped, which keeps every
		// lab process (agents, speakers, controller) ~30 MiB smaller.
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", binPath, "./cmd/lblab")
		cmd.Dir = RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatalf("failed to build lblab: %v", buildErr)
	}
	return binPath
}

// removeStaleBinaries removes the build directories of test processes that
// have exited. A live process's directory, or one whose name carries no pid,
// is left alone.
func removeStaleBinaries() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), binDirPrefix+"*"))
	for _, dir := range dirs {
		pid, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(dir), binDirPrefix), "-")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || n <= 0 || n == os.Getpid() {
			continue
		}
		if errors.Is(syscall.Kill(n, 0), syscall.ESRCH) {
			_ = os.RemoveAll(dir)
		}
	}
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// Result is one lblab run.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
	Duration       time.Duration
}

// Run runs the lblab binary with args and returns what it printed. It does
// not fail the test; callers assert on the result.
func Run(t testing.TB, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Duration: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		res.ExitCode = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("lblab %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// MustRun runs lblab and fails the test if it exits non-zero.
func MustRun(t testing.TB, args ...string) Result {
	t.Helper()
	res := Run(t, args...)
	if res.ExitCode != 0 {
		t.Fatalf("lblab %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.ExitCode, res.Stdout, res.Stderr)
	}
	return res
}
