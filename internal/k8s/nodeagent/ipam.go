package nodeagent

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lblab/lblab/internal/netaddr"
)

// ipam hands out pod IPs from the node's pod CIDRs, like the host-local CNI
// IPAM: one file per allocated address under dir, named after the address
// and holding its owner (the pod UID). A restarted agent therefore never
// hands out an address still in use. Addresses are handed out round-robin
// from the last one, so a released address is not reused at once (stale
// conntrack entries and endpoints point at it for a while).
type ipam struct {
	dir string
	mu  sync.Mutex
}

func newIPAM(dir string) *ipam { return &ipam{dir: dir} }

// gateway is the node end's address in a pod CIDR: the first host address
// for IPv4 (on every host veth, as the ptp plugin does); IPv6 pods route
// via a link-local gateway instead, so no v6 address is taken.
func gateway(cidr netip.Prefix) netip.Addr {
	if cidr.Addr().Is6() {
		return gatewayV6
	}
	return cidr.Masked().Addr().Next()
}

// gatewayV6 is the link-local address of every host veth.
var gatewayV6 = netip.MustParseAddr("fe80::1")

// Allocate returns one address per CIDR for owner, reusing those it already
// holds.
func (m *ipam) Allocate(owner string, cidrs []netip.Prefix) ([]netip.Addr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", m.dir, err)
	}
	held, err := m.list()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, cidr := range cidrs {
		a, err := m.allocateIn(owner, cidr.Masked(), held)
		if err != nil {
			m.release(owner, out)
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (m *ipam) allocateIn(owner string, cidr netip.Prefix, held map[netip.Addr]string) (netip.Addr, error) {
	for a, o := range held {
		if o == owner && cidr.Contains(a) {
			return a, nil
		}
	}
	first := cidr.Addr().Next() // skip the network address
	last := netaddr.LastAddr(cidr)
	if cidr.Addr().Is4() {
		first = first.Next() // and the gateway
		last = last.Prev()   // and the broadcast address
	}
	if !first.IsValid() || !last.IsValid() || last.Less(first) {
		return netip.Addr{}, fmt.Errorf("pod CIDR %s is too small to hold pods", cidr)
	}
	start := m.last(cidr).Next()
	if !start.IsValid() || start.Less(first) || last.Less(start) {
		start = first
	}
	a := start
	for {
		if _, used := held[a]; !used {
			f, err := os.OpenFile(m.path(a), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err == nil {
				_, err = f.WriteString(owner)
				f.Close()
				if err != nil {
					return netip.Addr{}, fmt.Errorf("failed to record %s: %w", a, err)
				}
				m.setLast(cidr, a)
				held[a] = owner
				return a, nil
			}
			if !errors.Is(err, os.ErrExist) {
				return netip.Addr{}, fmt.Errorf("failed to record %s: %w", a, err)
			}
		}
		if a = a.Next(); !a.IsValid() || last.Less(a) {
			a = first
		}
		if a == start {
			return netip.Addr{}, fmt.Errorf("pod CIDR %s is full: every address is allocated", cidr)
		}
	}
}

// Release frees every address held by owner.
func (m *ipam) Release(owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	held, err := m.list()
	if err != nil {
		return err
	}
	var mine []netip.Addr
	for a, o := range held {
		if o == owner {
			mine = append(mine, a)
		}
	}
	return m.release(owner, mine)
}

func (m *ipam) release(owner string, addrs []netip.Addr) error {
	var errs []error
	for _, a := range addrs {
		if err := os.Remove(m.path(a)); err != nil && !os.IsNotExist(err) {
			errs = append(errs, fmt.Errorf("failed to release %s of %s: %w", a, owner, err))
		}
	}
	return errors.Join(errs...)
}

// Owners returns every allocated address and its owner.
func (m *ipam) Owners() (map[netip.Addr]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.list()
}

func (m *ipam) list() (map[netip.Addr]string, error) {
	entries, err := os.ReadDir(m.dir)
	if os.IsNotExist(err) {
		return map[netip.Addr]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read allocations: %w", err)
	}
	out := map[netip.Addr]string{}
	for _, e := range entries {
		a, err := netip.ParseAddr(e.Name())
		if err != nil {
			continue // last-reserved files
		}
		data, err := os.ReadFile(filepath.Join(m.dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("failed to read allocation %s: %w", a, err)
		}
		out[a] = strings.TrimSpace(string(data))
	}
	return out, nil
}

func (m *ipam) path(a netip.Addr) string { return filepath.Join(m.dir, a.String()) }

func (m *ipam) lastFile(cidr netip.Prefix) string {
	return filepath.Join(m.dir, "last-"+strings.NewReplacer("/", "_", ":", "-").Replace(cidr.String()))
}

func (m *ipam) last(cidr netip.Prefix) netip.Addr {
	data, _ := os.ReadFile(m.lastFile(cidr))
	a, err := netip.ParseAddr(strings.TrimSpace(string(data)))
	if err != nil || !cidr.Contains(a) {
		return netip.Addr{}
	}
	return a
}

func (m *ipam) setLast(cidr netip.Prefix, a netip.Addr) {
	_ = os.WriteFile(m.lastFile(cidr), []byte(a.String()+"\n"), 0o644)
}
