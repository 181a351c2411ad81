package components

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/lblab/lblab/internal/run"
)

// errNoGo is returned when no Go toolchain is found.
var errNoGo = errors.New("building the pinned Kubernetes components needs the Go toolchain (go 1.26 or newer), " +
	"and no `go` was found in PATH, $GOROOT/bin or /usr/local/go/bin (note that sudo resets PATH); " +
	"install Go from https://go.dev/dl, or pass --k8s-bin-dir DIR (env LBLAB_K8S_BIN_DIR) with prebuilt " +
	"kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy and kubectl binaries")

// lookGo finds the go command, also where sudo's reset PATH misses it.
func lookGo() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	var candidates []string
	if root := os.Getenv("GOROOT"); root != "" {
		candidates = append(candidates, filepath.Join(root, "bin", "go"))
	}
	candidates = append(candidates, "/usr/local/go/bin/go", "/usr/lib/go/bin/go")
	if home := os.Getenv("SUDO_USER"); home != "" {
		candidates = append(candidates, filepath.Join("/home", home, "go", "bin", "go"), filepath.Join("/home", home, "sdk", "go", "bin", "go"))
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode()&0o111 != 0 {
			return c, nil
		}
	}
	return "", errNoGo
}

// groupRunner runs a command in its own process group and kills the whole
// group when ctx ends, and the command itself when lblab dies, so that an
// interrupted `up` leaves no compiler running.
type groupRunner struct{}

func (groupRunner) Run(ctx context.Context, c run.Cmd) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Name, c.Args...)
	cmd.Env = append(cmd.Environ(), c.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Stdin = c.Stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return stdout.Bytes(), &run.Error{Cmd: c.String(), ExitCode: code, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}
