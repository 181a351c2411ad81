package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// isExternal reports whether si is served by the lab's external load
// balancer, whose "routes" are HAProxy backends on the lb host.
func isExternal(env Env, si ServiceInfo) bool {
	class, _ := externalClass(env)
	return class != "" && si.Class == class
}

// waitForwarded waits until the lb host holds every LB IP of si and
// forwards each of its TCP ports to the nodes LBWants lists, with exactly
// the wanted ones UP. It returns, per LB IP, the nodes' addresses the UP
// servers are on (Want, Got and Eligible as for the TOR's next hops).
func waitForwarded(ctx context.Context, env Env, si *ServiceInfo) (fibState, time.Duration, error) {
	kc, err := env.Kube()
	if err != nil {
		return fibState{}, 0, err
	}
	var st fibState
	last := "nothing read yet"
	d, err := waitFor(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		fresh, err := ReadService(ctx, kc, si.Namespace, si.Name)
		if err != nil {
			return false, err
		}
		*si = fresh
		c, err := env.Cluster(ctx)
		if err != nil {
			return false, err
		}
		lb, err := readLB(ctx, env)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		one := *c
		one.Services = []ServiceInfo{fresh}
		wants, problems := LBWants(&one, fresh.Class)
		st = fibState{Want: map[netip.Addr][]netip.Addr{}, Got: map[netip.Addr][]netip.Addr{}}
		ok := len(problems) == 0 && len(wants) > 0
		if !ok {
			last = fmt.Sprintf("%v", problems)
		}
		st.Eligible = nil
		for _, w := range wants {
			st.Want[w.IP] = hostsOf(w.Up)
			for _, a := range st.Want[w.IP] {
				if n := c.NodeOf(a); n != "" && !slices.Contains(st.Eligible, n) {
					st.Eligible = append(st.Eligible, n)
				}
			}
			b, found := lb.Backend(w.Backend)
			if !found || !slices.Contains(lb.Addrs, w.IP) {
				ok, last = false, fmt.Sprintf("the lb host has no backend %s or no address %s", w.Backend, w.IP)
				continue
			}
			up, all := b.Up(), b.All()
			sortAddrPorts(up)
			sortAddrPorts(all)
			st.Got[w.IP] = hostsOf(up)
			if !slices.Equal(all, w.Servers) || !slices.Equal(up, w.Up) {
				ok, last = false, fmt.Sprintf("%s: servers %s, UP %s; want %s, UP %s", w.Backend,
					joinAddrPorts(all), joinAddrPorts(up), joinAddrPorts(w.Servers), joinAddrPorts(w.Up))
			}
		}
		slices.Sort(st.Eligible)
		return ok, nil
	})
	if err != nil {
		return st, d, fmt.Errorf("the lb host did not forward %s as wanted (last: %s): %w", si.Key(), last, err)
	}
	return st, d, nil
}

// lbGone reports whether the lb host has dropped every backend and address
// of a deleted Service.
func lbGone(ctx context.Context, env Env, si ServiceInfo) (bool, error) {
	lb, err := readLB(ctx, env)
	if err != nil {
		return false, err
	}
	for _, ip := range si.LBIPs {
		if slices.Contains(lb.Addrs, ip) {
			return false, nil
		}
		for _, p := range si.Ports {
			if _, ok := lb.Backend(BackendName(si.Namespace, si.Name, p.Port, ip)); ok {
				return false, nil
			}
		}
	}
	return true, nil
}

// hostsOf returns the addresses of aps, without ports, sorted and unique.
func hostsOf(aps []netip.AddrPort) []netip.Addr {
	out := []netip.Addr{}
	for _, ap := range aps {
		if !slices.Contains(out, ap.Addr()) {
			out = append(out, ap.Addr())
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}
