package bgp

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// reexecNamed re-executes the program in a new UTS namespace whose host
// name is name; cur is the machine's. It returns only on failure.
func reexecNamed(name, cur string) error {
	// unshare moves only this thread; execve then makes it the process.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := syscall.Unshare(syscall.CLONE_NEWUTS); err != nil {
		return fmt.Errorf("failed to create a UTS namespace for host name %s: %w", name, err)
	}
	if err := syscall.Sethostname([]byte(name)); err != nil {
		return fmt.Errorf("failed to set host name %s: %w", name, err)
	}
	err := syscall.Exec("/proc/self/exe", os.Args, append(os.Environ(), envHostname+"="+name))
	// Still here: give this thread the machine's name again, as the others have.
	_ = syscall.Sethostname([]byte(cur))
	return fmt.Errorf("failed to re-execute %s in a UTS namespace named %s: %w", os.Args[0], name, err)
}
