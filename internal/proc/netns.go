package proc

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// NetnsPIDs returns the pids of every process whose network namespace is
// the named one, like `ip netns pids`.
func NetnsPIDs(name string) ([]int, error) {
	var want syscall.Stat_t
	if err := syscall.Stat(filepath.Join(NetnsPath, name), &want); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil {
			continue
		}
		if st.Ino == want.Ino && st.Dev == want.Dev {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
