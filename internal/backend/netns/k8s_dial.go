package netns

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/lblab/lblab/internal/proc"
)

// dialInNetns returns a dialer whose sockets live in the named network
// namespace, so lblab can reach loopback-only endpoints inside a lab host
// (kube-controller-manager's and kube-scheduler's health ports) without
// exposing them on the fabric. The socket is created on a thread switched
// into the namespace; a socket keeps its namespace for life. addr must be a
// literal IP:port, so that no other goroutine creates a socket.
func dialInNetns(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if _, err := netip.ParseAddrPort(addr); err != nil {
			return nil, fmt.Errorf("dial in %s: %q is not a literal IP:port", ns, addr)
		}
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			c, restored, err := dialFromNetns(ctx, ns, network, addr)
			if restored {
				runtime.UnlockOSThread()
			} // else the thread, stuck in the lab's namespace, exits with this goroutine
			ch <- result{c, err}
		}()
		r := <-ch
		return r.c, r.err
	}
}

func dialFromNetns(ctx context.Context, ns, network, addr string) (net.Conn, bool, error) {
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		return nil, true, err
	}
	defer self.Close()
	target, err := os.Open(filepath.Join(proc.NetnsPath, ns))
	if err != nil {
		return nil, true, fmt.Errorf("no namespace %s: %w", ns, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, true, fmt.Errorf("failed to enter %s: %w", ns, err)
	}
	var d net.Dialer
	c, derr := d.DialContext(ctx, network, addr)
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		return c, false, derr
	}
	return c, true, derr
}

// listenAddr is addr:port with IPv6 brackets.
func listenAddr(a netip.Addr, port int) string { return netip.AddrPortFrom(a, uint16(port)).String() }
