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
	if _, err := os.Stat(filepath.Join(NetnsPath, name)); err != nil {
		return nil, err
	}
	byNS, err := PIDsByNetns([]string{name})
	return byNS[name], err
}

// PIDsByNetns returns the pids of the processes in each of the named
// network namespaces, reading /proc once for all of them. A namespace that
// does not exist has no entry.
func PIDsByNetns(names []string) (map[string][]int, error) {
	type nsID struct{ dev, ino uint64 }
	want := map[nsID]string{}
	for _, name := range names {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(NetnsPath, name), &st); err == nil {
			want[nsID{st.Dev, st.Ino}] = name
		}
	}
	out := map[string][]int{}
	if len(want) == 0 {
		return out, nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil {
			continue
		}
		if name, ok := want[nsID{st.Dev, st.Ino}]; ok {
			out[name] = append(out[name], pid)
		}
	}
	return out, nil
}
