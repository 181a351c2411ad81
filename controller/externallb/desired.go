package externallb

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lblab/lblab/internal/haproxy"
)

// node is an eligible node: its name and NodeInternalIPs by family.
type node struct {
	name   string
	v4, v6 netip.Addr
}

func (n node) addr(is6 bool) netip.Addr {
	if is6 {
		return n.v6
	}
	return n.v4
}

// eligibleNodes returns the nodes an external load balancer forwards to,
// by name: not labelled node.kubernetes.io/exclude-from-external-load-balancers,
// not being deleted, Ready, with at least one NodeInternalIP.
func eligibleNodes(nodes []*corev1.Node) []node {
	var out []node
	for _, n := range nodes {
		if _, excluded := n.Labels[ExcludeLabel]; excluded || n.DeletionTimestamp != nil || !ready(n) {
			continue
		}
		e := node{name: n.Name}
		for _, a := range n.Status.Addresses {
			ip, err := netip.ParseAddr(a.Address)
			if a.Type != corev1.NodeInternalIP || err != nil {
				continue
			}
			ip = ip.Unmap()
			if ip.Is4() && !e.v4.IsValid() {
				e.v4 = ip
			} else if ip.Is6() && !e.v6.IsValid() {
				e.v6 = ip
			}
		}
		if e.v4.IsValid() || e.v6.IsValid() {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b node) int { return strings.Compare(a.name, b.name) })
	return out
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// frontendName is <namespace>_<name>_<port>_<v4|v6>: namespaces and
// Service names are DNS labels, so it only holds what HAProxy accepts.
func frontendName(svc *corev1.Service, port int32, is6 bool) string {
	fam := "v4"
	if is6 {
		fam = "v6"
	}
	return fmt.Sprintf("%s_%s_%d_%s", svc.Namespace, svc.Name, port, fam)
}

// frontends returns the Service's frontends on the lb host: one per LB IP
// and TCP port, to NodeIP:NodePort of every eligible node of the IP's
// family. With externalTrafficPolicy Local the check is kube-proxy's
// healthCheckNodePort (/healthz answers 200 only on a node with a ready
// local endpoint); with Cluster a TCP connect to the NodePort. warnings
// say what is not forwarded and why.
func frontends(svc *corev1.Service, ips []netip.Addr, nodes []node, check haproxy.Check) (fes []haproxy.Frontend, warnings []string) {
	local := svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
	hc := svc.Spec.HealthCheckNodePort
	if local && (hc <= 0 || hc > 65535) {
		warnings = append(warnings, "externalTrafficPolicy is Local but spec.healthCheckNodePort is unset: checking the NodePorts instead")
		local = false
	}
	for _, p := range svc.Spec.Ports {
		if p.Protocol != corev1.ProtocolTCP && p.Protocol != "" {
			warnings = append(warnings, fmt.Sprintf("port %d/%s is not forwarded: the lb host's HAProxy forwards TCP only", p.Port, p.Protocol))
			continue
		}
		if p.NodePort <= 0 || p.NodePort > 65535 {
			warnings = append(warnings, fmt.Sprintf("port %d/TCP is not forwarded: it has no NodePort (spec.allocateLoadBalancerNodePorts is false?)", p.Port))
			continue
		}
		for _, ip := range ips {
			fe := haproxy.Frontend{
				Name:  frontendName(svc, p.Port, ip.Is6()),
				Bind:  netip.AddrPortFrom(ip, uint16(p.Port)),
				Check: check,
			}
			for _, n := range nodes {
				a := n.addr(ip.Is6())
				if !a.IsValid() {
					continue
				}
				s := haproxy.Server{Name: n.name, Addr: netip.AddrPortFrom(a, uint16(p.NodePort))}
				if local {
					s.CheckPort, s.CheckPath = uint16(hc), "/healthz"
				}
				fe.Servers = append(fe.Servers, s)
			}
			fes = append(fes, fe)
		}
	}
	return fes, warnings
}

// fingerprint identifies what is programmed for one Service, so events are
// recorded when it changes and not on every sync.
func fingerprint(ips []netip.Addr, fes []haproxy.Frontend) string {
	var b strings.Builder
	fmt.Fprint(&b, ips)
	for _, fe := range fes {
		fmt.Fprintf(&b, "|%s %s %v", fe.Name, fe.Bind, fe.Servers)
	}
	return b.String()
}
