package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Environment variables that move lblab's directories.
const (
	EnvStateDir = "LBLAB_STATE_DIR" // default $XDG_STATE_HOME/lblab or ~/.local/state/lblab
	EnvRunDir   = "LBLAB_RUN_DIR"   // default /run/lblab
)

// StateRoot is the directory that holds one subdirectory per lab.
func StateRoot() string {
	if d := os.Getenv(EnvStateDir); d != "" {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "lblab")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "lblab-state")
	}
	return filepath.Join(home, ".local", "state", "lblab")
}

// RunRoot holds sockets and pid files of running labs (FRR needs a path its
// own user can reach, which a home directory is not).
func RunRoot() string {
	if d := os.Getenv(EnvRunDir); d != "" {
		return d
	}
	return "/run/lblab"
}

// StateDir is the lab's state directory.
func StateDir(name string) string { return filepath.Join(StateRoot(), name) }

// RunDir is the lab's runtime directory.
func RunDir(name string) string { return filepath.Join(RunRoot(), name) }

// Kubeconfig is the path of the lab's admin kubeconfig for the host.
func Kubeconfig(name string) string { return filepath.Join(StateDir(name), "kubeconfig") }

// Lock takes an exclusive lock over all labs of this user, so concurrent
// `up`s do not choose the same subnets. Call the returned func to release.
func Lock() (func(), error) {
	if err := os.MkdirAll(StateRoot(), 0o755); err != nil {
		return nil, fmt.Errorf("failed to create state dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(StateRoot(), ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to open lab lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to lock labs: %w", err)
	}
	return func() { f.Close() }, nil
}

// ExternalLBDir is the run directory of an externalLB lab's load balancer
// host: HAProxy's configuration and its stats and master sockets.
func ExternalLBDir(name string) string { return filepath.Join(RunDir(name), "lb") }

// ExternalLBStatsSocket is HAProxy's stats socket on the lb host (its
// runtime API, read by `lblab probe haproxy`).
func ExternalLBStatsSocket(name string) string {
	return filepath.Join(ExternalLBDir(name), "haproxy.sock")
}
