package netns

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A lab's cgroup v2 subtrees: <cgroup2 mount>/lblab/<lab>/<node>. An
// ebpf node's pods run in its subtree, where its Cilium agent attaches
// its socket load balancer.

// mountinfo is read for the cgroup v2 mount; tests point it elsewhere.
var mountinfo = "/proc/self/mountinfo"

// cgroup2Root finds where the machine mounts the cgroup v2 hierarchy
// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid machine).
func cgroup2Root() (string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return parseCgroup2Root(f)
}

// parseCgroup2Root finds the mount point of the whole cgroup v2 hierarchy
// in a mountinfo file (proc(5)); bind mounts of a subtree are skipped.
func parseCgroup2Root(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// id parent major:minor root mountpoint options... - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, postFields := strings.Fields(pre), strings.Fields(post)
		if ok && len(fields) >= 5 && len(postFields) >= 1 && postFields[0] == "cgroup2" && fields[3] == "/" {
			return fields[4], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New("this machine mounts no cgroup v2 hierarchy, which Cilium's socket load balancer needs " +
		"(mount one: mount -t cgroup2 none /sys/fs/cgroup/unified)")
}

// labCgroup is the lab's cgroup directory.
func labCgroup(labName string) (string, error) {
	root, err := cgroup2Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "lblab", labName), nil
}

// nodeCgroup is a node's cgroup directory.
func nodeCgroup(labName, node string) (string, error) {
	d, err := labCgroup(labName)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, node), nil
}

// removeLabCgroups kills what is left in the lab's cgroups and removes
// them, and the lblab directory once no lab has one.
func removeLabCgroups(labName string) error {
	dir, err := labCgroup(labName)
	if err != nil {
		return nil // no cgroup v2: the lab cannot have made any
	}
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil
	}
	nodes, _ := filepath.Glob(filepath.Join(dir, "*", "cgroup.procs"))
	var errs []error
	for _, procs := range nodes {
		errs = append(errs, removeCgroup(filepath.Dir(procs)))
	}
	errs = append(errs, removeCgroup(dir))
	_ = os.Remove(filepath.Dir(dir)) // fails while another lab has one
	return errors.Join(errs...)
}

// removeCgroup kills every process in a leaf cgroup and removes it.
func removeCgroup(dir string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if os.IsNotExist(err) {
			return nil
		}
		pids := strings.Fields(string(data))
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		err = os.Remove(dir)
		if err == nil || os.IsNotExist(err) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("failed to remove cgroup %s (processes %v): %w", dir, pids, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
