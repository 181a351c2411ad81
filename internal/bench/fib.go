package bench

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// fibWatch follows the TOR's kernel routes through a netlink subscription
// opened in the TOR's namespace (what `ip monitor route` shows), and
// records when each host route first had every wanted next hop and when
// it went away, and which other next hops it saw. Times are when the
// bench received the message.
type fibWatch struct {
	mu       sync.Mutex
	want     []netip.Addr
	nhs      map[netip.Prefix][]netip.Addr
	complete map[netip.Prefix]time.Time
	gone     map[netip.Prefix]time.Time
	others   map[netip.Addr]bool
	errs     int
}

func watchFIB(ns string, want []netip.Addr, done <-chan struct{}) (*fibWatch, error) {
	h, err := netns.GetFromName(ns)
	if err != nil {
		return nil, fmt.Errorf("failed to open namespace %s: %w", ns, err)
	}
	w := &fibWatch{want: want, nhs: map[netip.Prefix][]netip.Addr{}, complete: map[netip.Prefix]time.Time{}, gone: map[netip.Prefix]time.Time{}, others: map[netip.Addr]bool{}}
	ch := make(chan netlink.RouteUpdate, 65536)
	err = netlink.RouteSubscribeWithOptions(ch, done, netlink.RouteSubscribeOptions{
		Namespace: &h, ReceiveBufferSize: 32 << 20, ReceiveBufferForceSize: true,
		ErrorCallback: func(error) { w.mu.Lock(); w.errs++; w.mu.Unlock() },
	})
	if err != nil {
		return nil, fmt.Errorf("failed to subscribe to routes in %s: %w", ns, err)
	}
	go func() {
		for u := range ch {
			w.update(u, time.Now())
		}
	}()
	return w, nil
}

func (w *fibWatch) update(u netlink.RouteUpdate, at time.Time) {
	if u.Dst == nil || u.Protocol != unix.RTPROT_BGP {
		return
	}
	ones, bits := u.Dst.Mask.Size()
	a, ok := netip.AddrFromSlice(u.Dst.IP)
	if !ok || ones != bits {
		return
	}
	p := netip.PrefixFrom(a.Unmap(), ones)
	w.mu.Lock()
	defer w.mu.Unlock()
	if u.Type == unix.RTM_DELROUTE {
		delete(w.nhs, p)
		w.gone[p] = at
		return
	}
	var nhs []netip.Addr
	if g, ok := netip.AddrFromSlice(u.Gw); ok {
		nhs = append(nhs, g.Unmap())
	}
	for _, nh := range u.MultiPath {
		if g, ok := netip.AddrFromSlice(nh.Gw); ok {
			nhs = append(nhs, g.Unmap())
		}
	}
	slices.SortFunc(nhs, netip.Addr.Compare)
	w.nhs[p] = nhs
	all := true
	for _, a := range w.want {
		all = all && slices.Contains(nhs, a)
	}
	for _, a := range nhs {
		if !slices.Contains(w.want, a) {
			w.others[a] = true
		}
	}
	if _, seen := w.complete[p]; !seen && all {
		w.complete[p] = at
	}
}

// reset forgets what was recorded (routes currently installed stay).
func (w *fibWatch) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.complete)
	clear(w.gone)
}

func (w *fibWatch) completeAt(p netip.Prefix) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.complete[p]
	return t, ok
}

func (w *fibWatch) goneAt(p netip.Prefix) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, present := w.nhs[p]; present {
		return time.Time{}, false
	}
	t, ok := w.gone[p]
	return t, ok
}

// counts returns how many of ps are complete and how many are gone, and
// the latest such time.
func (w *fibWatch) counts(ps []netip.Prefix) (complete, gone int, lastComplete, lastGone time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range ps {
		if t, ok := w.complete[p]; ok {
			complete++
			if t.After(lastComplete) {
				lastComplete = t
			}
		}
		if _, present := w.nhs[p]; !present {
			if t, ok := w.gone[p]; ok {
				gone++
				if t.After(lastGone) {
					lastGone = t
				}
			}
		}
	}
	return
}

// present is how many of ps have a route in the FIB.
func (w *fibWatch) present(ps []netip.Prefix) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, p := range ps {
		if _, ok := w.nhs[p]; ok {
			n++
		}
	}
	return n
}

// completeCount is how many routes had every wanted next hop since the
// last reset.
func (w *fibWatch) completeCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.complete)
}

// extra returns the next hops seen that were not wanted, sorted.
func (w *fibWatch) extra() []netip.Addr {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := slices.Collect(maps.Keys(w.others))
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

func (w *fibWatch) overflows() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.errs
}
