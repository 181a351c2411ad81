package netns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Excerpts of /proc/self/mountinfo.
const (
	mountinfoV1 = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
24 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
29 24 0:25 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
31 29 0:27 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
34 29 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct
35 29 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,memory
`
	// systemd's hybrid layout: cgroup2 beside the v1 controllers.
	mountinfoHybrid = mountinfoV1 +
		"30 29 0:26 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
	mountinfoUnified = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
24 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
25 24 0:6 / /sys/kernel/security rw,nosuid,nodev,noexec,relatime shared:8 - securityfs securityfs rw
26 24 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
27 24 0:23 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:10 - bpf bpf rw,mode=700
`
	// A container's view: its own subtree bound at /sys/fs/cgroup.
	mountinfoBind = `812 790 0:22 /system.slice/docker-4f1c.scope /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate
`
)

func TestParseCgroup2Root(t *testing.T) {
	tests := []struct {
		name, mountinfo string
		want            string // "" for an error
	}{
		{"hybrid", mountinfoHybrid, "/sys/fs/cgroup/unified"},
		{"unified", mountinfoUnified, "/sys/fs/cgroup"},
		{"subtree bind mount only", mountinfoV1 + mountinfoBind, ""},
		{"subtree bind mount first", mountinfoBind + mountinfoUnified, "/sys/fs/cgroup"},
		{"v1 only", mountinfoV1, ""},
		{"empty", "", ""},
		{"no separator", "26 24 0:22 / /sys/fs/cgroup rw cgroup2 cgroup2 rw\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCgroup2Root(strings.NewReader(tc.mountinfo))
			switch {
			case tc.want == "" && (err == nil || !strings.Contains(err.Error(), "cgroup v2")):
				t.Errorf("got %q, %v; want an error about cgroup v2", got, err)
			case tc.want != "" && (err != nil || got != tc.want):
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// fakeCgroup2 makes cgroup2Root read a mountinfo that, when mounted is set,
// mounts the cgroup v2 hierarchy on a temporary (plain) directory, which it
// returns; otherwise the mountinfo has no cgroup v2 mount.
func fakeCgroup2(t *testing.T, mounted bool) string {
	t.Helper()
	root := t.TempDir()
	info := mountinfoV1
	if mounted {
		info += "30 29 0:26 / " + root + " rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
	}
	path := filepath.Join(t.TempDir(), "mountinfo")
	if err := os.WriteFile(path, []byte(info), 0o644); err != nil {
		t.Fatal(err)
	}
	old := mountinfo
	mountinfo = path
	t.Cleanup(func() { mountinfo = old })
	return root
}

func TestCgroupPaths(t *testing.T) {
	root := fakeCgroup2(t, true)
	if got, err := cgroup2Root(); err != nil || got != root {
		t.Errorf("cgroup2Root() = %q, %v; want %q", got, err, root)
	}
	if got, err := nodeCgroup("lab1", "node1"); err != nil || got != filepath.Join(root, "lblab", "lab1", "node1") {
		t.Errorf("nodeCgroup = %q, %v", got, err)
	}
	fakeCgroup2(t, false)
	if _, err := nodeCgroup("lab1", "node1"); err == nil || !strings.Contains(err.Error(), "cgroup v2") {
		t.Errorf("nodeCgroup without cgroup v2: %v", err)
	}
}

// Only what holds without a real cgroupfs: a directory there is not a
// cgroup (rmdir of a cgroup with no processes succeeds; of a plain
// directory holding cgroup.procs, never).
func TestRemoveLabCgroupsNothingToRemove(t *testing.T) {
	fakeCgroup2(t, false)
	if err := removeLabCgroups("lab1"); err != nil {
		t.Errorf("without cgroup v2: %v", err)
	}
	root := fakeCgroup2(t, true)
	other := filepath.Join(root, "lblab", "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := removeLabCgroups("lab1"); err != nil {
		t.Errorf("lab without cgroups: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another lab's cgroup: %v", err)
	}
	if err := removeCgroup(filepath.Join(root, "lblab", "lab1", "node1")); err != nil {
		t.Errorf("removeCgroup of an absent cgroup: %v", err)
	}
}
