package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// OwnerEnv marks the processes a lab starts: the backend sets it to the
// lab's name in its own environment before it starts anything, so every
// process it starts, and their children, carry it. `down` finds them by it
// in whatever namespace they are, including the instant a process spends
// in the host's namespace on its way into a lab's (nsenter, `ip netns
// exec`) and those an interrupted `up` had started.
const OwnerEnv = "LBLAB_OWNER"

// OwnedPIDs returns the pids of the live processes whose environment says
// that lab owns them, except this process.
func OwnedPIDs(lab string) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	mark := []byte(OwnerEnv + "=" + lab + "\x00")
	self := os.Getpid()
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil || zombie(pid) {
			continue
		}
		if bytes.HasPrefix(env, mark) || bytes.Contains(env, append([]byte{0}, mark...)) {
			out = append(out, pid)
		}
	}
	return out, nil
}
