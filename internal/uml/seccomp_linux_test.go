package uml

import (
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// seccompData lays out a struct seccomp_data for x/net/bpf's VM. The
// kernel loads seccomp words in the host's byte order, the VM in network
// order, so each 32-bit word goes where the kernel finds it on x86-64
// (an argument's low half first), written big-endian for the VM.
func seccompData(arch, nr uint32, args ...uint64) []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[0:], nr)
	binary.BigEndian.PutUint32(b[4:], arch)
	for i, a := range args {
		binary.BigEndian.PutUint32(b[16+8*i:], uint32(a))
		binary.BigEndian.PutUint32(b[16+8*i+4:], uint32(a>>32))
	}
	return b
}

func TestFPFallbackFilter(t *testing.T) {
	raw, err := fpFallbackFilter()
	if err != nil {
		t.Fatal(err)
	}
	insns := make([]bpf.Instruction, len(raw))
	for i, r := range raw {
		insns[i] = r.Disassemble()
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatal(err)
	}
	const x86, other = unix.AUDIT_ARCH_X86_64, 0x40000003
	enodev := unix.SECCOMP_RET_ERRNO | int(unix.ENODEV)
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"the xstate probe", seccompData(x86, unix.SYS_PTRACE, unix.PTRACE_GETREGSET, 42, unix.NT_X86_XSTATE), enodev},
		{"another regset", seccompData(x86, unix.SYS_PTRACE, unix.PTRACE_GETREGSET, 42, unix.NT_PRFPREG), unix.SECCOMP_RET_ALLOW},
		{"PTRACE_GETFPREGS", seccompData(x86, unix.SYS_PTRACE, unix.PTRACE_GETFPREGS, 42, 0), unix.SECCOMP_RET_ALLOW},
		{"PTRACE_SETREGSET", seccompData(x86, unix.SYS_PTRACE, unix.PTRACE_SETREGSET, 42, unix.NT_X86_XSTATE), unix.SECCOMP_RET_ALLOW},
		{"another syscall", seccompData(x86, unix.SYS_MMAP, unix.PTRACE_GETREGSET, 42, unix.NT_X86_XSTATE), unix.SECCOMP_RET_ALLOW},
		{"another architecture", seccompData(other, unix.SYS_PTRACE, unix.PTRACE_GETREGSET, 42, unix.NT_X86_XSTATE), unix.SECCOMP_RET_ALLOW},
	}
	for _, tt := range tests {
		got, err := vm.Run(tt.data)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: filter returned %#x, want %#x", tt.name, got, tt.want)
		}
	}
}
