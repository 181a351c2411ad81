package l2probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"
)

// conn is one probe socket, ARP or NDP.
type conn interface {
	// send sends the request for the target.
	send() error
	// read returns the MAC of the next answer for the target, nil (and no
	// error) for a packet that is not one.
	read() (net.HardwareAddr, error)
	SetReadDeadline(time.Time) error
	Close() error
}

// Probe sends one ARP request (IPv4) or Neighbor Solicitation (IPv6) for
// target from interface ifName inside the network namespace at nsPath (such
// as /run/netns/NAME; "" is the caller's), and returns every distinct MAC
// that answered within wait, sorted. No answer is an empty result, not an
// error. When ctx ends first, Probe returns what it has and ctx's error.
func Probe(ctx context.Context, nsPath, ifName string, target netip.Addr, wait time.Duration) ([]net.HardwareAddr, error) {
	if !target.IsValid() {
		return nil, errors.New("l2probe: no target address")
	}
	target = target.Unmap().WithZone("")
	where := place(nsPath, ifName)
	kind := "ARP request"
	if target.Is6() {
		kind = "Neighbor Solicitation"
	}
	var c conn
	err := inNetns(nsPath, func() error {
		ifi, err := net.InterfaceByName(ifName)
		if err != nil {
			return fmt.Errorf("l2probe: no %s: %w", where, err)
		}
		if target.Is4() {
			c, err = dialARP(ifi, target, where)
		} else {
			c, err = dialNDP(ctx, ifi, target, where)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return nil, fmt.Errorf("l2probe: %s: %w", where, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Now()) })
	defer stop()
	if err := c.send(); err != nil {
		return nil, fmt.Errorf("l2probe: sending an %s for %s from %s: %w", kind, target, where, err)
	}
	var macs []net.HardwareAddr
	for {
		mac, err := c.read()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			return uniq(macs), fmt.Errorf("l2probe: reading answers to an %s for %s on %s: %w", kind, target, where, err)
		}
		if mac != nil {
			macs = append(macs, mac)
		}
	}
	return uniq(macs), ctx.Err()
}

// place names the interface and namespace for errors.
func place(nsPath, ifName string) string {
	if nsPath == "" {
		return fmt.Sprintf("interface %q in the current network namespace", ifName)
	}
	return fmt.Sprintf("interface %q in network namespace %s", ifName, nsPath)
}

// uniq returns the distinct MACs, sorted; never nil.
func uniq(macs []net.HardwareAddr) []net.HardwareAddr {
	out := []net.HardwareAddr{}
	for _, m := range macs {
		if !slices.ContainsFunc(out, func(o net.HardwareAddr) bool { return bytes.Equal(o, m) }) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b net.HardwareAddr) int { return bytes.Compare(a, b) })
	return out
}

// prefixes returns the interface's addresses, in the calling thread's
// namespace.
func prefixes(ifi *net.Interface) ([]netip.Prefix, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, netip.PrefixFrom(p.Addr().Unmap(), p.Bits()))
		}
	}
	return out, nil
}
