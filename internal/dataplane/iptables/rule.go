package iptables

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Rule is one "-A CHAIN ..." line. The fields kube-proxy's rules use are
// typed; everything else stays in Args.
type Rule struct {
	Chain   string `json:"chain"`
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	// Source and Destination are -s/-d; the Not flags are "! -s"/"! -d".
	Source         netip.Prefix `json:"source,omitzero"`
	NotSource      bool         `json:"notSource,omitempty"`
	Destination    netip.Prefix `json:"destination,omitzero"`
	NotDestination bool         `json:"notDestination,omitempty"`
	Protocol       string       `json:"protocol,omitempty"` // -p
	DPort          uint16       `json:"dport,omitempty"`    // --dport
	Comment        string       `json:"comment,omitempty"`
	// Probability is the statistic match's --probability (0 when absent).
	Probability float64 `json:"probability,omitempty"`
	// AddrType is "--src-type X" / "--dst-type X" of the addrtype match.
	AddrType string `json:"addrType,omitempty"`
	Target   string `json:"target,omitempty"` // -j or -g
	Goto     bool   `json:"goto,omitempty"`   // -g instead of -j
	// ToDestination is DNAT's --to-destination.
	ToDestination netip.AddrPort `json:"toDestination,omitzero"`
	// Args are all words after "-A CHAIN", unquoted.
	Args []string `json:"-"`
	// text is the line as iptables-save printed it, without counters.
	text string
}

// String returns the rule as iptables-save printed it (without counters).
func (r *Rule) String() string {
	if r.text != "" {
		return r.text
	}
	parts := []string{"-A", r.Chain}
	for _, a := range r.Args {
		if a == "" || strings.ContainsAny(a, " \t\"") {
			a = strconv.Quote(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// Conditional reports whether the rule matches only some packets (any
// address, protocol, port, addrtype, mark or statistic condition).
func (r *Rule) Conditional() bool {
	for i, a := range r.Args {
		switch a {
		case "-s", "-d", "-p", "--dport", "--src-type", "--dst-type", "--mark", "--probability", "--ctstate":
			return true
		case "-m":
			if i+1 < len(r.Args) && r.Args[i+1] != "comment" {
				return true
			}
		}
	}
	return false
}

// ParseRule parses one rule line, optionally prefixed by "[packets:bytes]".
func ParseRule(line string) (*Rule, error) {
	r := &Rule{}
	if strings.HasPrefix(line, "[") {
		cnt, rest, _ := strings.Cut(line, " ")
		p, b, err := parseCounters(cnt)
		if err != nil {
			return nil, err
		}
		r.Packets, r.Bytes, line = p, b, rest
	}
	w, err := split(line)
	if err != nil {
		return nil, err
	}
	if len(w) < 2 || w[0] != "-A" {
		return nil, fmt.Errorf("not a rule: %q", line)
	}
	r.Chain, r.Args, r.text = w[1], w[2:], line
	not := false
	for i := 0; i < len(r.Args); i++ {
		a := r.Args[i]
		next := func() string {
			if i+1 < len(r.Args) {
				i++
				return r.Args[i]
			}
			return ""
		}
		switch a {
		case "!":
			not = true
			continue
		case "-s", "--source":
			if r.Source, err = parsePrefix(next()); err != nil {
				return nil, err
			}
			r.NotSource = not
		case "-d", "--destination":
			if r.Destination, err = parsePrefix(next()); err != nil {
				return nil, err
			}
			r.NotDestination = not
		case "-p", "--protocol":
			r.Protocol = next()
		case "--dport", "--destination-port":
			v := next()
			port, err := strconv.ParseUint(v, 10, 16)
			if err != nil {
				return nil, fmt.Errorf("bad --dport %q", v)
			}
			r.DPort = uint16(port)
		case "--comment":
			r.Comment = next()
		case "--probability":
			v := next()
			if r.Probability, err = strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("bad --probability %q", v)
			}
		case "--src-type", "--dst-type":
			r.AddrType = a + " " + next()
		case "-j", "--jump":
			r.Target = next()
		case "-g", "--goto":
			r.Target, r.Goto = next(), true
		case "--to-destination":
			v := next()
			if r.ToDestination, err = netip.ParseAddrPort(v); err != nil {
				return nil, fmt.Errorf("bad --to-destination %q: %w", v, err)
			}
		}
		not = false
	}
	return r, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("bad address %q", s)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad prefix %q", s)
	}
	return p, nil
}
