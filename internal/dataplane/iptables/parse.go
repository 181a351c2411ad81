package iptables

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Ruleset is one iptables-save dump (one family).
type Ruleset struct {
	Tables []*Table `json:"tables"`
}

// Table is one table (*nat, *filter, ...).
type Table struct {
	Name   string   `json:"name"`
	Chains []*Chain `json:"chains"`
}

// Chain is one chain with its rules in order. Built-in chains have a policy.
type Chain struct {
	Name    string  `json:"name"`
	Policy  string  `json:"policy,omitempty"`
	Packets uint64  `json:"packets"`
	Bytes   uint64  `json:"bytes"`
	Rules   []*Rule `json:"rules"`
}

// Table returns the named table, or nil.
func (r *Ruleset) Table(name string) *Table {
	for _, t := range r.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Chain returns the named chain, or nil.
func (t *Table) Chain(name string) *Chain {
	if t == nil {
		return nil
	}
	for _, c := range t.Chains {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// SaveCommand is the iptables-save of one family.
type SaveCommand struct {
	V6   bool
	Name string // iptables-save or ip6tables-save
}

// SaveCommands returns the iptables-save commands of the families asked
// for, IPv4 first.
func SaveCommands(v4, v6 bool) []SaveCommand {
	var out []SaveCommand
	if v4 {
		out = append(out, SaveCommand{false, "iptables-save"})
	}
	if v6 {
		out = append(out, SaveCommand{true, "ip6tables-save"})
	}
	return out
}

// Parse parses iptables-save output, with or without -c counters.
func Parse(data []byte) (*Ruleset, error) {
	rs := &Ruleset{}
	var cur *Table
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "*"):
			cur = &Table{Name: line[1:]}
			rs.Tables = append(rs.Tables, cur)
		case line == "COMMIT":
			cur = nil
		case cur == nil:
			return nil, fmt.Errorf("failed to parse iptables-save line %d: %q outside a table", n, line)
		case strings.HasPrefix(line, ":"):
			c, err := parseChainLine(line)
			if err != nil {
				return nil, fmt.Errorf("failed to parse iptables-save line %d: %w", n, err)
			}
			cur.Chains = append(cur.Chains, c)
		default:
			r, err := ParseRule(line)
			if err != nil {
				return nil, fmt.Errorf("failed to parse iptables-save line %d: %w", n, err)
			}
			c := cur.Chain(r.Chain)
			if c == nil {
				return nil, fmt.Errorf("failed to parse iptables-save line %d: rule for undeclared chain %s", n, r.Chain)
			}
			c.Rules = append(c.Rules, r)
		}
	}
	return rs, sc.Err()
}

// parseChainLine parses ":NAME POLICY [packets:bytes]".
func parseChainLine(line string) (*Chain, error) {
	f := strings.Fields(line[1:])
	if len(f) < 2 {
		return nil, fmt.Errorf("bad chain line %q", line)
	}
	c := &Chain{Name: f[0], Rules: []*Rule{}}
	if f[1] != "-" {
		c.Policy = f[1]
	}
	if len(f) > 2 {
		p, b, err := parseCounters(f[2])
		if err != nil {
			return nil, err
		}
		c.Packets, c.Bytes = p, b
	}
	return c, nil
}

// parseCounters parses "[packets:bytes]".
func parseCounters(s string) (uint64, uint64, error) {
	in, ok := strings.CutPrefix(s, "[")
	in, ok2 := strings.CutSuffix(in, "]")
	ps, bs, ok3 := strings.Cut(in, ":")
	if !ok || !ok2 || !ok3 {
		return 0, 0, fmt.Errorf("bad counters %q", s)
	}
	p, err := strconv.ParseUint(ps, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("bad counters %q", s)
	}
	b, err := strconv.ParseUint(bs, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("bad counters %q", s)
	}
	return p, b, nil
}

// split splits a rule line into words the way iptables-save quotes them:
// double quotes group words, and a backslash escapes the next character.
func split(line string) ([]string, error) {
	var out []string
	var b strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			b.WriteByte(line[i])
			inWord = true
		case c == '"':
			quoted = !quoted
			inWord = true
		case (c == ' ' || c == '\t') && !quoted:
			if inWord {
				out = append(out, b.String())
				b.Reset()
				inWord = false
			}
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote in %q", line)
	}
	if inWord {
		out = append(out, b.String())
	}
	return out, nil
}
