package ciliumnode

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Confine gives the calling process, which must be about to exec the
// agent and already be in the node's network namespace, the mount view
// described in the package doc: runDir (the node's directory for
// Cilium's sockets) at RunDir, the cgroup v2 directory cgroup at
// CgroupRoot, its own sysfs and bpffs, and a read-only /proc/sys/kernel.
// The new mount namespace belongs to the calling thread: exec from it.
func Confine(runDir, cgroup string) error {
	runtime.LockOSThread() // never unlocked: the thread execs or the process exits
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("cilium node: failed to create a mount namespace: %w", err)
	}
	// Both directories are opened in the new namespace (a bind mount's
	// source must be in the caller's), before anything is mounted over the
	// paths that lead to them (/run, /sys), and bound from their fds.
	runFD, err := unix.Open(runDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cilium node: run dir %s: %w", runDir, err)
	}
	defer unix.Close(runFD)
	var st unix.Statfs_t
	if err := unix.Statfs(cgroup, &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		return fmt.Errorf("cilium node: %s is not a cgroup v2 directory (%v)", cgroup, err)
	}
	cgFD, err := unix.Open(cgroup, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cilium node: cgroup %s: %w", cgroup, err)
	}
	defer unix.Close(cgFD)
	fdPath := func(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }
	steps := []struct {
		what string
		do   func() error
	}{
		{"make mounts slaves", func() error { return unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, "") }},
		{"mount a tmpfs on /run", func() error { return unix.Mount("tmpfs", "/run", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755") }},
		{"bind the run dir", func() error { return bindDir(fdPath(runFD), RunDir) }},
		{"bind the cgroup", func() error { return bindDir(fdPath(cgFD), CgroupRoot) }},
		{"unmount /sys", func() error { return unix.Unmount("/sys", unix.MNT_DETACH) }},
		{"mount the node's sysfs", func() error { return unix.Mount("sysfs", "/sys", "sysfs", 0, "") }},
		{"mount a bpffs", func() error { return unix.Mount("bpf", BPFRoot, "bpf", 0, "mode=700") }},
		{"bind /proc/sys/kernel", func() error { return unix.Mount("/proc/sys/kernel", "/proc/sys/kernel", "", unix.MS_BIND, "") }},
		{"make /proc/sys/kernel read-only", func() error {
			return unix.Mount("", "/proc/sys/kernel", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("cilium node: failed to %s: %w", s.what, err)
		}
	}
	return nil
}

// bindDir bind-mounts src on dst, creating dst.
func bindDir(src, dst string) error {
	if err := os.MkdirAll(filepath.Clean(dst), 0o755); err != nil {
		return err
	}
	return unix.Mount(src, dst, "", unix.MS_BIND, "")
}
