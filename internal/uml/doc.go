// Package uml runs a lab node on a user-mode Linux (UML) kernel: a whole
// Linux kernel that is an ordinary process of the machine. It exists for
// data planes the machine's own kernel lacks: IPVS above all, which
// Debian's user-mode-linux package has as modules while many hosts are
// built without CONFIG_IP_VS.
//
// A guest is built from the host itself, so there is no image to make:
//
//   - Its root is the host's file system, read-only through hostfs, under
//     an overlay whose upper layer is a tmpfs: a guest sees every binary
//     the host has (kube-proxy, nginx, iptables, lblab itself) and nothing
//     it writes reaches the host. The lab's state directory is the one
//     exception, mounted read-write at the same path, so the node's logs
//     land where the netns backend keeps every other log.
//   - Its kernel modules come from the package's own directory and are
//     loaded with finit_module by the guest's init, in modules.dep order
//     (about 50 modules in a quarter of a second; busybox modprobe one by
//     one took up to 20 s).
//   - Its network is a tap on the lab's fabric bridge, so the TOR, BGP and
//     ECMP see it exactly like a netns node, at the same address.
//   - Its init is `lblab guest-init`: PID 1 only reaps orphans, and its one
//     child mounts, loads modules, configures the network and then serves
//     two things until the guest stops: an SSH server on the node's
//     addresses (port 22), which is how `lblab exec`, verify, inspect and
//     the diagnostics bundle run commands in the guest, and the node's
//     process supervisor (internal/supervise), reached through that SSH
//     connection.
//
// Why SSH: it already is the authenticated, multiplexed command channel
// with stdin, stdout, stderr and exit status that an exec needs, well kept
// in golang.org/x/crypto/ssh, and users can point their own ssh client at
// a node with the lab's key. The lab makes an ed25519 host key and client
// key per lab (internal/uml/keys.go); the client pins the host key. A
// serial line or UML's mconsole would carry no exit status or separate
// stderr, and a bespoke TLS protocol would re-implement SSH's channels.
//
// One quirk of the host is handled here: UML 6.1 moves a guest process's
// FPU state with ptrace and a buffer sized for AVX (832 bytes). Hosts with
// AVX-512 or AMX refuse such a short write (the guest dies at its first
// process), and UML's fallback for hosts without the XSTATE regset loses
// XMM registers across page faults on them (memcpy and nginx corrupting
// data, measured). csrc/fpregs.c, preloaded into the kernel process,
// passes every XSTATE read and write through a host-sized buffer, as
// Linux 6.13 does itself. State beyond AVX stays with the host process, so
// the threads of one guest process would share it: guests are told not to
// use AVX-512 (GODEBUG, GLIBC_TUNABLES). EnsureShim builds it with gcc.
package uml
