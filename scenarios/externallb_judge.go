package scenarios

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// LBWant is one frontend the lb host must have: a Service's LB IP and TCP
// port, forwarded to NodeIP:NodePort of the load balancer's nodes.
type LBWant struct {
	Service string           `json:"service"`
	IP      netip.Addr       `json:"ip"`
	Port    uint16           `json:"port"`
	Backend string           `json:"backend"`
	Servers []netip.AddrPort `json:"servers"`
	// Up are the servers that must pass the health check: all of them
	// for externalTrafficPolicy Cluster; for Local, the nodes with a ready
	// endpoint of the Service (kube-proxy's healthCheckNodePort answers
	// 200 only there).
	Up []netip.AddrPort `json:"up"`
	// Got and GotUp are what HAProxy has.
	Got   []netip.AddrPort `json:"got"`
	GotUp []netip.AddrPort `json:"gotUp"`
}

// LBEvidence is what external-lb-backends judged.
type LBEvidence struct {
	Wants []LBWant     `json:"wants"`
	Addrs []netip.Addr `json:"lbAddrs"`
	Stale []string     `json:"staleBackends,omitempty"`
}

// BackendName is the name lblab's external load balancer controller gives
// the HAProxy frontend and backend of one LB IP and port of a Service.
func BackendName(namespace, name string, port uint16, ip netip.Addr) string {
	fam := "v4"
	if ip.Is6() {
		fam = "v6"
	}
	return fmt.Sprintf("%s_%s_%d_%s", namespace, name, port, fam)
}

// LBNodes are the nodes an external load balancer forwards to, as the
// cloud service controller picks them: not labelled
// exclude-from-external-load-balancers, and Ready.
func LBNodes(c *Cluster) []NodeInfo {
	var out []NodeInfo
	for _, n := range c.Nodes {
		if !n.Excluded && n.Ready {
			out = append(out, n)
		}
	}
	return out
}

// LBWants lists the frontends the Services of class need, with problems
// that make some impossible to judge (a Service without an IP).
func LBWants(c *Cluster, class string) ([]LBWant, []string) {
	var wants []LBWant
	var problems []string
	for _, s := range c.Services {
		if s.Class != class {
			continue
		}
		if len(s.LBIPs) == 0 {
			problems = append(problems, s.Key()+" has no LB IP")
		}
		local := map[string]bool{}
		for _, ep := range s.Endpoints {
			if ep.Ready {
				local[ep.Node] = true
			}
		}
		for _, ip := range s.LBIPs {
			for _, p := range s.Ports {
				if p.Protocol != "tcp" {
					continue
				}
				w := LBWant{Service: s.Key(), IP: ip, Port: p.Port, Backend: BackendName(s.Namespace, s.Name, p.Port, ip),
					Servers: []netip.AddrPort{}, Up: []netip.AddrPort{}}
				for _, n := range LBNodes(c) {
					for _, a := range n.Addrs {
						if a.Is6() != ip.Is6() {
							continue
						}
						ap := netip.AddrPortFrom(a, p.NodePort)
						w.Servers = append(w.Servers, ap)
						if !s.ETPLocal || local[n.Name] {
							w.Up = append(w.Up, ap)
						}
					}
				}
				sortAddrPorts(w.Servers)
				sortAddrPorts(w.Up)
				wants = append(wants, w)
			}
		}
	}
	return wants, problems
}

// JudgeLBBackends passes when the lb host holds every LB IP of the class's
// Services and, for each IP and TCP port, a backend whose servers are
// exactly the load balancer's nodes at the NodePort, the healthy ones UP
// (for Local, exactly the nodes with a ready endpoint), and no backend of
// a Service that is gone.
func JudgeLBBackends(c *Cluster, class string, st LBState) Outcome {
	wants, problems := LBWants(c, class)
	ev := LBEvidence{Addrs: st.Addrs}
	known := map[string]bool{}
	for _, w := range wants {
		known[w.Backend] = true
		if !slices.Contains(st.Addrs, w.IP) {
			problems = append(problems, fmt.Sprintf("the lb host does not hold %s (%s)", w.IP, w.Service))
		}
		b, ok := st.Backend(w.Backend)
		if !ok {
			problems = append(problems, fmt.Sprintf("no HAProxy backend %s for %s", w.Backend, netip.AddrPortFrom(w.IP, w.Port)))
			ev.Wants = append(ev.Wants, w)
			continue
		}
		w.Got, w.GotUp = b.All(), b.Up()
		sortAddrPorts(w.Got)
		sortAddrPorts(w.GotUp)
		if !slices.Equal(w.Got, w.Servers) {
			problems = append(problems, fmt.Sprintf("%s forwards to %s, want %s", w.Backend, joinAddrPorts(w.Got), joinAddrPorts(w.Servers)))
		} else if !slices.Equal(w.GotUp, w.Up) {
			problems = append(problems, fmt.Sprintf("%s: HAProxy's health checks pass on %s, want %s", w.Backend, joinAddrPorts(w.GotUp), joinAddrPorts(w.Up)))
		}
		ev.Wants = append(ev.Wants, w)
	}
	for _, b := range st.Backends {
		if !known[b.Name] {
			ev.Stale = append(ev.Stale, b.Name)
		}
	}
	if len(ev.Stale) > 0 {
		problems = append(problems, fmt.Sprintf("backends of no Service: %s", strings.Join(ev.Stale, ", ")))
	}
	if len(problems) > 0 {
		return fail(ev, "%s", strings.Join(problems, "; "))
	}
	if len(wants) == 0 {
		return fail(ev, "no Service of class %s has a TCP port to forward", class)
	}
	return pass(ev, "%d frontends on the lb host, each forwarding to exactly its eligible NodeIP:NodePort pairs, the healthy ones UP", len(wants))
}

func sortAddrPorts(as []netip.AddrPort) {
	slices.SortFunc(as, func(a, b netip.AddrPort) int { return a.Compare(b) })
}

func joinAddrPorts(as []netip.AddrPort) string {
	if len(as) == 0 {
		return "nothing"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
