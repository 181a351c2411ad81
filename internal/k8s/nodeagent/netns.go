package nodeagent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/lblab/lblab/internal/netnsexec"
)

// netnsDir is where named network namespaces are mounted (iproute2's).
const netnsDir = "/run/netns"

// inNetns runs fn on an OS thread that has entered the namespace ns, and
// returns the thread to the agent's namespace afterwards (netnsexec.Run).
func inNetns(ns netns.NsHandle, fn func() error) error { return netnsexec.Run(ns, fn) }

// createNetns creates the named network namespace and runs setup inside it
// (on the thread that created it). It returns a handle to the namespace.
func createNetns(name string, setup func() error) (netns.NsHandle, error) {
	type result struct {
		h   netns.NsHandle
		err error
	}
	resc := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			resc <- result{netns.None(), fmt.Errorf("failed to open the current network namespace: %w", err)}
			return
		}
		defer orig.Close()
		h, err := mountNewNetns(name)
		if err == nil && setup != nil {
			if err = setup(); err != nil {
				h.Close()
				_ = deleteNetns(name)
			}
		}
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		resc <- result{h, err}
	}()
	r := <-resc
	return r.h, r.err
}

// ensurePodNetns opens the named namespace, creating it if needed, and runs
// setup inside it either way.
func ensurePodNetns(name string, setup func() error) (netns.NsHandle, error) {
	if _, err := os.Stat(filepath.Join(netnsDir, name)); err == nil {
		ns, err := netns.GetFromName(name)
		if err != nil {
			return ns, fmt.Errorf("failed to open %s: %w", name, err)
		}
		if err := inNetns(ns, setup); err != nil {
			ns.Close()
			return netns.None(), err
		}
		return ns, nil
	}
	return createNetns(name, setup)
}

func mountNewNetns(name string) (netns.NsHandle, error) {
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return netns.None(), err
	}
	path := filepath.Join(netnsDir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return netns.None(), fmt.Errorf("failed to create %s: %w", path, err)
	}
	f.Close()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		os.Remove(path)
		return netns.None(), fmt.Errorf("failed to create network namespace %s: %w", name, err)
	}
	self := fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid())
	if err := unix.Mount(self, path, "none", unix.MS_BIND, ""); err != nil {
		os.Remove(path)
		return netns.None(), fmt.Errorf("failed to mount network namespace %s: %w", name, err)
	}
	return netns.GetFromPath(path)
}

// deleteNetns unmounts and removes a named namespace. The namespace itself
// goes away when its last process exits. An absent namespace is fine.
func deleteNetns(name string) error {
	path := filepath.Join(netnsDir, name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil &&
		!errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("failed to unmount %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("failed to remove %s: %w", path, err)
	}
	return nil
}

// writeSysctls writes sysctls in the calling thread's network namespace;
// keys are paths under /proc/sys.
func writeSysctls(kv [][2]string) error {
	for _, p := range kv {
		if err := os.WriteFile(filepath.Join("/proc/sys", p[0]), []byte(p[1]), 0o644); err != nil {
			return fmt.Errorf("failed to set %s=%s: %w", p[0], p[1], err)
		}
	}
	return nil
}
