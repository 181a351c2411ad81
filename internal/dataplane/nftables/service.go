package nftables

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/lblab/lblab/internal/dataplane"
)

// KubeProxyTable is the table kube-proxy's nftables mode owns, in the ip
// and ip6 families.
const KubeProxyTable = "kube-proxy"

// Service is kube-proxy's nftables path for one LoadBalancer IP:port.
type Service struct {
	Family   string     `json:"family"` // ip or ip6
	Address  netip.Addr `json:"address"`
	Port     uint16     `json:"port"`
	Protocol string     `json:"protocol"`
	// Name is "namespace/name/protocol/port-name" from the chain name.
	Name string `json:"name,omitempty"`
	// Element is the service-ips element ("… : goto external-…").
	Element *Element `json:"element,omitempty"`
	// Firewall is the firewall-ips target chain (loadBalancerSourceRanges).
	Firewall     *ChainView     `json:"firewall,omitempty"`
	SourceRanges []netip.Prefix `json:"sourceRanges,omitempty"`
	External     *ChainView     `json:"external,omitempty"`
	// Target is the service-… (Cluster) or local-… (Local) chain.
	Target    *ChainView `json:"target,omitempty"`
	Endpoints []Endpoint `json:"endpoints"`
	// Drop is the no-endpoint-services element that drops or rejects the
	// traffic, if any.
	Drop *Element `json:"drop,omitempty"`
}

// ChainView is one chain with its rules.
type ChainView struct {
	Name  string `json:"name"`
	Rules []Rule `json:"rules"`
}

// Endpoint is one DNAT destination; Chain is set when kube-proxy used a
// per-endpoint chain.
type Endpoint struct {
	Chain       string         `json:"chain,omitempty"`
	Destination netip.AddrPort `json:"destination"`
}

func familyOf(a netip.Addr) string {
	if a.Is4() {
		return "ip"
	}
	return "ip6"
}

// LoadBalancer follows kube-proxy's nftables objects for addr:port/proto.
func (rs *Ruleset) LoadBalancer(addr netip.Addr, proto string, port uint16) (*Service, error) {
	proto = strings.ToLower(proto)
	fam := familyOf(addr)
	s := &Service{Family: fam, Address: addr, Port: port, Protocol: proto, Endpoints: []Endpoint{}}
	key := []string{addr.String(), proto, strconv.Itoa(int(port))}
	if e := rs.element(fam, "no-endpoint-services", key); e != nil {
		s.Drop = e
	}
	ips := rs.Set(fam, KubeProxyTable, "service-ips")
	if ips == nil {
		return nil, fmt.Errorf("no %s %s table with a service-ips map: kube-proxy (nftables mode) has not run on this node", fam, KubeProxyTable)
	}
	s.Element = rs.element(fam, "service-ips", key)
	if s.Element == nil {
		if s.Drop != nil {
			return s, nil
		}
		return nil, fmt.Errorf("no element %s in the %s %s service-ips map", strings.Join(key, " . "), fam, KubeProxyTable)
	}
	if fw := rs.element(fam, "firewall-ips", key); fw != nil {
		s.Firewall = rs.view(fam, verdictTarget(fw.Value))
		for _, r := range s.Firewall.Rules {
			s.SourceRanges = append(s.SourceRanges, allowedSources(r)...)
		}
	}
	next := verdictTarget(s.Element.Value)
	if strings.HasPrefix(next, "external-") {
		s.External = rs.view(fam, next)
		next = ""
		for _, r := range s.External.Rules {
			if t := unconditionalJump(r); t != "" {
				next = t
			}
		}
	}
	if next == "" {
		return s, nil
	}
	s.Target = rs.view(fam, next)
	s.Name = chainService(next)
	for _, r := range s.Target.Rules {
		s.Endpoints = append(s.Endpoints, rs.endpoints(fam, r)...)
	}
	return s, nil
}

func (rs *Ruleset) element(fam, set string, key []string) *Element {
	st := rs.Set(fam, KubeProxyTable, set)
	if st == nil {
		return nil
	}
	for i, e := range st.Elements {
		if strings.Join(e.Key, " . ") == strings.Join(key, " . ") {
			return &st.Elements[i]
		}
	}
	return nil
}

func (rs *Ruleset) view(fam, chain string) *ChainView {
	rules, _ := rs.ChainRules(fam, KubeProxyTable, chain)
	if rules == nil {
		rules = []Rule{}
	}
	return &ChainView{Name: chain, Rules: rules}
}

// verdictTarget returns X of "goto X" or "jump X".
func verdictTarget(v string) string {
	for _, p := range []string{"goto ", "jump "} {
		if t, ok := strings.CutPrefix(v, p); ok {
			return t
		}
	}
	return ""
}

// chainService turns "service-SUSTUHLJ-default/web/tcp/http" into
// "default/web/tcp/http".
func chainService(chain string) string {
	_, rest, ok := strings.Cut(chain, "-")
	if !ok {
		return ""
	}
	_, name, _ := strings.Cut(rest, "-")
	return name
}

type stmt map[string]json.RawMessage

// unconditionalJump returns the target of a rule that is only a goto/jump.
func unconditionalJump(r Rule) string {
	if len(r.Expr) != 1 {
		return ""
	}
	var s stmt
	if json.Unmarshal(r.Expr[0], &s) != nil {
		return ""
	}
	for _, k := range []string{"goto", "jump"} {
		if v, ok := s[k]; ok {
			var x struct{ Target string }
			_ = json.Unmarshal(v, &x)
			return x.Target
		}
	}
	return ""
}

// endpoints returns the DNAT destinations of one service-chain rule:
// "dnat to A:P", "dnat to numgen … map { i : A . P }", or a numgen vmap to
// endpoint chains that each DNAT.
func (rs *Ruleset) endpoints(fam string, r Rule) []Endpoint {
	var out []Endpoint
	for _, raw := range r.Expr {
		var s stmt
		if json.Unmarshal(raw, &s) != nil {
			continue
		}
		if v, ok := s["dnat"]; ok {
			out = append(out, dnatTargets(v)...)
		}
		if v, ok := s["vmap"]; ok {
			var x struct{ Data json.RawMessage }
			_ = json.Unmarshal(v, &x)
			for _, chain := range setVerdicts(x.Data) {
				rules, _ := rs.ChainRules(fam, KubeProxyTable, chain)
				for _, er := range rules {
					for _, ep := range rs.endpoints(fam, er) {
						ep.Chain = chain
						out = append(out, ep)
					}
				}
			}
		}
	}
	return out
}

func dnatTargets(v json.RawMessage) []Endpoint {
	var x struct {
		Addr json.RawMessage
		Port json.RawMessage
	}
	_ = json.Unmarshal(v, &x)
	var addr string
	if json.Unmarshal(x.Addr, &addr) == nil {
		if ap, err := netip.ParseAddrPort(joinHostPort(addr, renderExpr(x.Port))); err == nil {
			return []Endpoint{{Destination: ap}}
		}
		return nil
	}
	var m struct {
		Map struct{ Data json.RawMessage } `json:"map"`
	}
	if json.Unmarshal(x.Addr, &m) != nil {
		return nil
	}
	var set struct {
		Set [][]json.RawMessage `json:"set"`
	}
	_ = json.Unmarshal(m.Map.Data, &set)
	var out []Endpoint
	for _, pair := range set.Set {
		if len(pair) != 2 {
			continue
		}
		var c struct{ Concat []json.RawMessage }
		if json.Unmarshal(pair[1], &c) == nil && len(c.Concat) == 2 {
			if ap, err := netip.ParseAddrPort(joinHostPort(renderExpr(c.Concat[0]), renderExpr(c.Concat[1]))); err == nil {
				out = append(out, Endpoint{Destination: ap})
			}
		}
	}
	return out
}

func setVerdicts(raw json.RawMessage) []string {
	var set struct {
		Set [][]json.RawMessage `json:"set"`
	}
	_ = json.Unmarshal(raw, &set)
	var out []string
	for _, pair := range set.Set {
		if len(pair) == 2 {
			if t := verdictTarget(renderStmt(pair[1])); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// allowedSources reads "ip saddr != X drop" (X an address, prefix or set).
func allowedSources(r Rule) []netip.Prefix {
	var out []netip.Prefix
	for _, raw := range r.Expr {
		var s struct {
			Match *struct {
				Op    string
				Left  json.RawMessage
				Right json.RawMessage
			} `json:"match"`
		}
		if json.Unmarshal(raw, &s) != nil || s.Match == nil || s.Match.Op != "!=" ||
			!strings.HasSuffix(renderExpr(s.Match.Left), " saddr") {
			continue
		}
		right := strings.Trim(renderExpr(s.Match.Right), "{} ")
		for _, f := range strings.Split(right, ", ") {
			if p, err := netip.ParsePrefix(f); err == nil {
				out = append(out, p)
			} else if a, err := netip.ParseAddr(f); err == nil {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	return out
}

func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// Frontend reduces the path to the mode-independent view.
func (s *Service) Frontend() dataplane.Frontend {
	f := dataplane.Frontend{Address: s.Address, Port: s.Port, Protocol: s.Protocol, Service: s.Name,
		Backends: []netip.AddrPort{}, SourceRanges: s.SourceRanges, Drop: s.Element == nil && s.Drop != nil}
	for _, ep := range s.Endpoints {
		f.Backends = append(f.Backends, ep.Destination)
	}
	dataplane.SortAddrPorts(f.Backends)
	f.Rules = s.Lines()
	return f
}

// Lines renders the path as nft text, in the order a packet meets it.
func (s *Service) Lines() []string {
	var out []string
	if s.Drop != nil {
		out = append(out, fmt.Sprintf("map no-endpoint-services: %s : %s", strings.Join(s.Drop.Key, " . "), s.Drop.Value))
	}
	if s.Element != nil {
		out = append(out, fmt.Sprintf("map service-ips: %s : %s", strings.Join(s.Element.Key, " . "), s.Element.Value))
	}
	for _, c := range []*ChainView{s.Firewall, s.External, s.Target} {
		if c == nil {
			continue
		}
		for _, r := range c.Rules {
			out = append(out, fmt.Sprintf("chain %s: %s", c.Name, r.Text))
		}
	}
	return out
}
