package bench

import (
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestFIBWatchUpdate(t *testing.T) {
	a, b, cp := netip.MustParseAddr("10.0.0.11"), netip.MustParseAddr("10.0.0.12"), netip.MustParseAddr("10.0.0.10")
	route := func(typ uint16, proto netlink.RouteProtocol, dst string, gws ...netip.Addr) netlink.RouteUpdate {
		_, n, _ := net.ParseCIDR(dst)
		u := netlink.RouteUpdate{Type: typ, Route: netlink.Route{Dst: n, Protocol: proto}}
		for _, g := range gws {
			u.MultiPath = append(u.MultiPath, &netlink.NexthopInfo{Gw: net.IP(g.AsSlice())})
		}
		return u
	}
	p := netip.MustParsePrefix("100.64.0.1/32")
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name         string
		updates      []netlink.RouteUpdate
		complete     bool
		completeAt   time.Time
		gone         bool
		extra        []netip.Addr
		completeSeen int
	}{
		{"one next hop of two is not complete", []netlink.RouteUpdate{route(unix.RTM_NEWROUTE, unix.RTPROT_BGP, p.String(), a)}, false, time.Time{}, false, nil, 0},
		{"both next hops complete it at the second message", []netlink.RouteUpdate{
			route(unix.RTM_NEWROUTE, unix.RTPROT_BGP, p.String(), a),
			route(unix.RTM_NEWROUTE, unix.RTPROT_BGP, p.String(), b, a)}, true, t0.Add(time.Second), false, nil, 1},
		{"a next hop that is not eligible still completes it, and is named", []netlink.RouteUpdate{
			route(unix.RTM_NEWROUTE, unix.RTPROT_BGP, p.String(), cp, a, b)}, true, t0, false, []netip.Addr{cp}, 1},
		{"routes that are not BGP's are ignored", []netlink.RouteUpdate{
			route(unix.RTM_NEWROUTE, unix.RTPROT_STATIC, p.String(), a, b)}, false, time.Time{}, false, nil, 0},
		{"prefixes that are not host routes are ignored", []netlink.RouteUpdate{
			route(unix.RTM_NEWROUTE, unix.RTPROT_BGP, "100.64.0.0/24", a, b)}, false, time.Time{}, false, nil, 0},
		{"a deletion makes it gone", []netlink.RouteUpdate{
			route(unix.RTM_NEWROUTE, unix.RTPROT_BGP, p.String(), a, b),
			route(unix.RTM_DELROUTE, unix.RTPROT_BGP, p.String(), a, b)}, true, t0, true, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &fibWatch{want: []netip.Addr{a, b}, nhs: map[netip.Prefix][]netip.Addr{},
				complete: map[netip.Prefix]time.Time{}, gone: map[netip.Prefix]time.Time{}, others: map[netip.Addr]bool{}}
			for i, u := range tt.updates {
				w.update(u, t0.Add(time.Duration(i)*time.Second))
			}
			at, ok := w.completeAt(p)
			if ok != tt.complete || !at.Equal(tt.completeAt) {
				t.Errorf("completeAt = %v, %v; want %v, %v", at, ok, tt.completeAt, tt.complete)
			}
			if _, gone := w.goneAt(p); gone != tt.gone {
				t.Errorf("gone = %v, want %v", gone, tt.gone)
			}
			if got := w.extra(); !slices.Equal(got, tt.extra) {
				t.Errorf("extra = %v, want %v", got, tt.extra)
			}
			if got := w.completeCount(); got != tt.completeSeen {
				t.Errorf("completeCount = %d, want %d", got, tt.completeSeen)
			}
			complete, gone, _, _ := w.counts([]netip.Prefix{p})
			if (complete == 1) != tt.complete || (gone == 1) != tt.gone {
				t.Errorf("counts = %d complete, %d gone", complete, gone)
			}
		})
	}
}
