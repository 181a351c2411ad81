package uml

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Offsets into struct seccomp_data (little-endian: the low half of an
// argument comes first).
const (
	seccompNR   = 0
	seccompArch = 4
	seccompArg0 = 16 // ptrace's request
	seccompArg2 = 32 // ptrace's addr: the regset type for PTRACE_GETREGSET
)

// fpFallbackFilter answers ENODEV to ptrace(PTRACE_GETREGSET, pid,
// NT_X86_XSTATE, …) and allows everything else. UML 6.1 probes that call
// once at start-up and, when it fails, saves guest FPU state with
// PTRACE_GETFPREGS/SETFPREGS, which every x86-64 host accepts; when it
// succeeds, it later calls PTRACE_SETREGSET with an AVX-sized buffer that
// hosts with AVX-512 or AMX refuse (EFAULT), killing the guest's init.
func fpFallbackFilter() ([]bpf.RawInstruction, error) {
	// Every field must match for the ENODEV answer; the first mismatch
	// jumps to the final "allow".
	match := []struct{ off, val uint32 }{
		{seccompArch, unix.AUDIT_ARCH_X86_64},
		{seccompNR, unix.SYS_PTRACE},
		{seccompArg0, unix.PTRACE_GETREGSET},
		{seccompArg2, unix.NT_X86_XSTATE},
	}
	var prog []bpf.Instruction
	for i, m := range match {
		later := len(match) - 1 - i // checks after this one, two instructions each
		prog = append(prog,
			bpf.LoadAbsolute{Off: m.off, Size: 4},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: m.val, SkipTrue: uint8(2*later + 1)})
	}
	prog = append(prog,
		bpf.RetConstant{Val: unix.SECCOMP_RET_ERRNO | uint32(unix.ENODEV)},
		bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW})
	return bpf.Assemble(prog)
}

// ExecKernel replaces the calling process with the UML kernel in argv,
// under fpFallbackFilter. It returns only on failure.
func ExecKernel(argv []string) error {
	if len(argv) == 0 {
		return fmt.Errorf("no kernel to run")
	}
	raw, err := fpFallbackFilter()
	if err != nil {
		return fmt.Errorf("failed to assemble the seccomp filter: %w", err)
	}
	filters := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		filters[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	prog := unix.SockFprog{Len: uint16(len(filters)), Filter: &filters[0]}
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("failed to set no_new_privs: %w", err)
	}
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog))); errno != 0 {
		return fmt.Errorf("failed to install the seccomp filter: %w", errno)
	}
	return syscall.Exec(argv[0], argv, os.Environ())
}
