package nodeagent

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// checkPodCgroup checks --pod-cgroup: an existing directory of a cgroup v2
// hierarchy (on a hybrid host that is under /sys/fs/cgroup/unified).
func checkPodCgroup(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("--pod-cgroup %q: want an absolute path to a cgroup v2 directory", dir)
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("--pod-cgroup %s: not a directory", dir)
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return fmt.Errorf("--pod-cgroup %s: %w", dir, err)
	}
	if fs.Type != unix.CGROUP2_SUPER_MAGIC {
		return fmt.Errorf("--pod-cgroup %s is not a cgroup v2 directory (its file system is not cgroup2; "+
			"on a hybrid host cgroup v2 is mounted at /sys/fs/cgroup/unified)", dir)
	}
	return nil
}

// startProc starts the command newCmd makes on a thread inside ns and, when
// the runtime has a pod cgroup, inside that cgroup: directly, with clone3's
// CLONE_INTO_CGROUP, so the process and all it forks (nginx's workers) are
// in it from the start, as the socket-LB programs attached there need. If
// the kernel refuses that (before 5.7, say), the command is started again
// without it and its pid written to cgroup.procs right after the start; the
// refusal is remembered and logged once.
func (r *linuxRuntime) startProc(ns netns.NsHandle, newCmd func() *exec.Cmd, log io.Writer) (*exec.Cmd, error) {
	cmd := newCmd()
	if r.cgroup == "" {
		return cmd, inNetns(ns, cmd.Start)
	}
	if !r.cloneRefused.Load() {
		fd, err := unix.Open(r.cgroup, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("failed to open --pod-cgroup %s: %w", r.cgroup, err)
		}
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
		err = inNetns(ns, cmd.Start)
		unix.Close(fd)
		if err == nil {
			return cmd, nil
		}
		// A refused clone3 and a failed exec look alike; a second start
		// without the cgroup tells them apart.
		cmd = newCmd()
		if err2 := inNetns(ns, cmd.Start); err2 != nil {
			return cmd, err2
		}
		if !r.cloneRefused.Swap(true) {
			r.log.Warn("the kernel refused to start processes in the pod cgroup (clone3 CLONE_INTO_CGROUP); moving them there after their start instead",
				"cgroup", r.cgroup, "err", err)
		}
	} else if err := inNetns(ns, cmd.Start); err != nil {
		return cmd, err
	}
	pid := cmd.Process.Pid
	if err := moveToCgroup(r.cgroup, pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	fmt.Fprintf(log, "==> %s: moved pid %d into %s after its start\n", time.Now().UTC().Format(time.RFC3339Nano), pid, r.cgroup)
	return cmd, nil
}

// moveToCgroup writes pid into dir's cgroup.procs.
func moveToCgroup(dir string, pid int) error {
	procs := filepath.Join(dir, "cgroup.procs")
	if err := os.WriteFile(procs, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("failed to move pid %d into %s: %w", pid, dir, err)
	}
	return nil
}
