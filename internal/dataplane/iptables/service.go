package iptables

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/lblab/lblab/internal/dataplane"
)

// Service is kube-proxy's chain walk for one LoadBalancer IP:port, the way
// a person reads it: the KUBE-SERVICES rule, the firewall and external
// chains, the service chain external traffic reaches, and its endpoints.
type Service struct {
	Address  netip.Addr `json:"address"`
	Port     uint16     `json:"port"`
	Protocol string     `json:"protocol"`
	// Name is kube-proxy's "namespace/name:port" from the rule comment.
	Name string `json:"name,omitempty"`
	// Entry is the KUBE-SERVICES rule matching the IP and port.
	Entry *Rule `json:"entry,omitempty"`
	// Firewall is KUBE-FW-… (only with loadBalancerSourceRanges), and
	// SourceRanges the sources it lets through.
	Firewall     *Chain         `json:"firewall,omitempty"`
	SourceRanges []netip.Prefix `json:"sourceRanges,omitempty"`
	// External is KUBE-EXT-…, and Target the KUBE-SVC-… (Cluster) or
	// KUBE-SVL-… (Local) chain that traffic from outside ends up in.
	External *Chain `json:"external,omitempty"`
	Target   *Chain `json:"target,omitempty"`
	// Endpoints are the KUBE-SEP-… chains of Target, in rule order.
	Endpoints []Endpoint `json:"endpoints"`
	// Drop is the filter-table rule that drops external traffic to the IP
	// (ETP=Local without a local endpoint, or no endpoints), if any.
	Drop *Rule `json:"drop,omitempty"`
}

// Endpoint is one KUBE-SEP-… chain.
type Endpoint struct {
	Chain       string         `json:"chain"`
	Destination netip.AddrPort `json:"destination"` // the DNAT target
	// Probability is the chance this endpoint is picked when the rules
	// before it were not (1 for the last).
	Probability float64 `json:"probability"`
	Packets     uint64  `json:"packets"` // of the KUBE-SVC → KUBE-SEP jump
	Bytes       uint64  `json:"bytes"`
	// DNAT is the KUBE-SEP chain's DNAT rule, with its own counters.
	DNAT *Rule `json:"dnat,omitempty"`
}

// LoadBalancer follows kube-proxy's chains for traffic from outside to
// addr:port/proto. It returns an error naming what is missing when the nat
// table has no KUBE-SERVICES rule for it (and no drop rule explains why).
func (rs *Ruleset) LoadBalancer(addr netip.Addr, proto string, port uint16) (*Service, error) {
	proto = strings.ToLower(proto)
	s := &Service{Address: addr, Port: port, Protocol: proto, Endpoints: []Endpoint{}}
	s.Drop = findDest(rs.Table("filter").Chain("KUBE-EXTERNAL-SERVICES"), addr, proto, port, "DROP", "REJECT")
	nat := rs.Table("nat")
	s.Entry = findDest(nat.Chain("KUBE-SERVICES"), addr, proto, port)
	if s.Entry == nil {
		if s.Drop != nil {
			s.Name = serviceName(s.Drop.Comment)
			return s, nil
		}
		if nat == nil {
			return nil, fmt.Errorf("no nat table: kube-proxy (iptables mode) has not run on this node")
		}
		return nil, fmt.Errorf("no KUBE-SERVICES rule for %s in the nat table", hostPort(addr, proto, port))
	}
	s.Name = serviceName(s.Entry.Comment)
	next := nat.Chain(s.Entry.Target)
	if next != nil && strings.HasPrefix(next.Name, "KUBE-FW-") {
		s.Firewall = next
		for _, r := range next.Rules {
			if r.Source.IsValid() && !r.NotSource && strings.HasPrefix(r.Target, "KUBE-") {
				s.SourceRanges = append(s.SourceRanges, r.Source)
			}
		}
		// The firewall lets the source ranges on, so its jumps onward
		// are conditional by design.
		next = nat.Chain(rangesJump(next))
	}
	if next != nil && strings.HasPrefix(next.Name, "KUBE-EXT-") {
		s.External = next
		next = nat.Chain(lastJump(next, "KUBE-SVC-", "KUBE-SVL-"))
	}
	if next == nil || !(strings.HasPrefix(next.Name, "KUBE-SVC-") || strings.HasPrefix(next.Name, "KUBE-SVL-")) {
		return s, nil
	}
	s.Target = next
	for _, r := range next.Rules {
		if !strings.HasPrefix(r.Target, "KUBE-SEP-") {
			continue
		}
		ep := Endpoint{Chain: r.Target, Probability: 1, Packets: r.Packets, Bytes: r.Bytes}
		if r.Probability > 0 {
			ep.Probability = r.Probability
		}
		for _, sr := range nat.Chain(r.Target).rulesOrNil() {
			if sr.Target == "DNAT" && sr.ToDestination.IsValid() {
				ep.Destination, ep.DNAT = sr.ToDestination, sr
			}
		}
		s.Endpoints = append(s.Endpoints, ep)
	}
	return s, nil
}

// Frontend reduces the walk to the mode-independent view.
func (s *Service) Frontend() dataplane.Frontend {
	f := dataplane.Frontend{Address: s.Address, Port: s.Port, Protocol: s.Protocol, Service: s.Name,
		Backends: []netip.AddrPort{}, SourceRanges: s.SourceRanges, Drop: s.Drop != nil && s.Entry == nil}
	for _, ep := range s.Endpoints {
		if ep.Destination.IsValid() {
			f.Backends = append(f.Backends, ep.Destination)
		}
	}
	dataplane.SortAddrPorts(f.Backends)
	f.Rules = s.Lines()
	return f
}

// Lines renders the walk as iptables-save lines with counters, in the
// order a packet meets them.
func (s *Service) Lines() []string {
	var out []string
	add := func(r *Rule) {
		if r != nil {
			out = append(out, fmt.Sprintf("[%d:%d] %s", r.Packets, r.Bytes, r))
		}
	}
	add(s.Drop)
	add(s.Entry)
	for _, c := range []*Chain{s.Firewall, s.External, s.Target} {
		for _, r := range c.rulesOrNil() {
			add(r)
		}
	}
	for _, ep := range s.Endpoints {
		add(ep.DNAT)
	}
	return out
}

func (c *Chain) rulesOrNil() []*Rule {
	if c == nil {
		return nil
	}
	return c.Rules
}

// findDest returns the first rule of c for addr:port/proto, optionally only
// with one of the targets.
func findDest(c *Chain, addr netip.Addr, proto string, port uint16, targets ...string) *Rule {
	for _, r := range c.rulesOrNil() {
		if r.NotDestination || r.Destination != netip.PrefixFrom(addr, addr.BitLen()) || r.DPort != port || r.Protocol != proto {
			continue
		}
		if len(targets) == 0 || slices.Contains(targets, r.Target) {
			return r
		}
	}
	return nil
}

// lastJump returns the target of the chain's last unconditional jump to a
// chain with one of the prefixes: where traffic from outside goes.
// rangesJump is where a KUBE-FW chain sends the traffic it lets in: the
// target of its source-restricted jumps (or of an unrestricted one, for a
// 0.0.0.0/0 range).
func rangesJump(fw *Chain) string {
	for _, r := range fw.Rules {
		for _, p := range []string{"KUBE-EXT-", "KUBE-SVC-", "KUBE-SVL-"} {
			if strings.HasPrefix(r.Target, p) {
				return r.Target
			}
		}
	}
	return ""
}

func lastJump(c *Chain, prefixes ...string) string {
	target := ""
	for _, r := range c.Rules {
		for _, p := range prefixes {
			if strings.HasPrefix(r.Target, p) && !r.Conditional() {
				target = r.Target
			}
		}
	}
	return target
}

// serviceName extracts "ns/name:port" from a kube-proxy comment such as
// "default/web:http loadbalancer IP".
func serviceName(comment string) string {
	name, _, _ := strings.Cut(comment, " ")
	return name
}

func hostPort(a netip.Addr, proto string, port uint16) string {
	return netip.AddrPortFrom(a, port).String() + "/" + proto
}
