package nftables

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Ruleset is one `nft -j list ruleset`.
type Ruleset struct {
	Tables []Table `json:"tables"`
	Chains []Chain `json:"chains"`
	Rules  []Rule  `json:"rules"`
	Sets   []Set   `json:"sets"` // sets and maps
}

// Table is one table.
type Table struct {
	Family string `json:"family"`
	Name   string `json:"name"`
}

// Chain is one chain; base chains have a hook.
type Chain struct {
	Family string `json:"family"`
	Table  string `json:"table"`
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"`
	Hook   string `json:"hook,omitempty"`
	Prio   int    `json:"prio,omitempty"`
	Policy string `json:"policy,omitempty"`
}

// Rule is one rule. Expr keeps nft's JSON expressions; Text renders them
// in nft's own syntax for people.
type Rule struct {
	Family  string            `json:"family"`
	Table   string            `json:"table"`
	Chain   string            `json:"chain"`
	Handle  int               `json:"handle"`
	Comment string            `json:"comment,omitempty"`
	Text    string            `json:"text"`
	Expr    []json.RawMessage `json:"-"`
}

// Set is a named set or map.
type Set struct {
	Family string `json:"family"`
	Table  string `json:"table"`
	Name   string `json:"name"`
	// Type is the key type, one entry per concatenated field.
	Type []string `json:"type"`
	// Map is the data type of a map ("verdict", "ipv4_addr", ...); empty for a set.
	Map      string    `json:"map,omitempty"`
	Comment  string    `json:"comment,omitempty"`
	Elements []Element `json:"elements"`
}

// Element is one set or map element. Key holds one string per
// concatenated field ("198.51.100.0", "tcp", "80"); Value is the map data,
// rendered ("goto external-…" for a verdict map).
type Element struct {
	Key   []string `json:"key"`
	Value string   `json:"value,omitempty"`
}

// Parse parses `nft -j list ruleset`.
func Parse(data []byte) (*Ruleset, error) {
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("failed to parse `nft -j list ruleset`: %w", err)
	}
	rs := &Ruleset{Tables: []Table{}, Chains: []Chain{}, Rules: []Rule{}, Sets: []Set{}}
	for _, obj := range doc.Nftables {
		for kind, raw := range obj {
			if err := rs.add(kind, raw); err != nil {
				return nil, fmt.Errorf("failed to parse nft %s: %w", kind, err)
			}
		}
	}
	return rs, nil
}

func (rs *Ruleset) add(kind string, raw json.RawMessage) error {
	switch kind {
	case "table":
		var t Table
		if err := json.Unmarshal(raw, &t); err != nil {
			return err
		}
		rs.Tables = append(rs.Tables, t)
	case "chain":
		var c Chain
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
		rs.Chains = append(rs.Chains, c)
	case "rule":
		var r Rule
		if err := json.Unmarshal(raw, &struct {
			*Rule
			Expr *[]json.RawMessage `json:"expr"`
		}{&r, &r.Expr}); err != nil {
			return err
		}
		parts := make([]string, 0, len(r.Expr))
		for _, e := range r.Expr {
			parts = append(parts, renderStmt(e))
		}
		r.Text = strings.Join(parts, " ")
		if r.Comment != "" {
			r.Text += fmt.Sprintf(" comment %q", r.Comment)
		}
		rs.Rules = append(rs.Rules, r)
	case "set", "map":
		var s struct {
			Set
			Type json.RawMessage   `json:"type"`
			Elem []json.RawMessage `json:"elem"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		set := s.Set
		set.Type = stringList(s.Type)
		set.Elements = []Element{}
		for _, e := range s.Elem {
			set.Elements = append(set.Elements, parseElement(e, set.Map != ""))
		}
		rs.Sets = append(rs.Sets, set)
	}
	return nil
}

func stringList(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	return nil
}

func parseElement(raw json.RawMessage, isMap bool) Element {
	var key json.RawMessage = raw
	var e Element
	if isMap {
		var pair []json.RawMessage
		if json.Unmarshal(raw, &pair) == nil && len(pair) == 2 {
			key = pair[0]
			e.Value = renderStmt(pair[1])
		}
	}
	var wrapped struct {
		Elem *struct {
			Val json.RawMessage `json:"val"`
		} `json:"elem"`
	}
	if json.Unmarshal(key, &wrapped) == nil && wrapped.Elem != nil {
		key = wrapped.Elem.Val // elements with counters, comments or timeouts
	}
	var concat struct {
		Concat []json.RawMessage `json:"concat"`
	}
	if json.Unmarshal(key, &concat) == nil && concat.Concat != nil {
		for _, c := range concat.Concat {
			e.Key = append(e.Key, renderExpr(c))
		}
	} else {
		e.Key = []string{renderExpr(key)}
	}
	return e
}

// Set returns the named set or map of a table, or nil.
func (rs *Ruleset) Set(family, table, name string) *Set {
	for i := range rs.Sets {
		s := &rs.Sets[i]
		if s.Family == family && s.Table == table && s.Name == name {
			return s
		}
	}
	return nil
}

// ChainRules returns a chain's rules in order, and whether the chain exists.
func (rs *Ruleset) ChainRules(family, table, chain string) ([]Rule, bool) {
	found := false
	for _, c := range rs.Chains {
		if c.Family == family && c.Table == table && c.Name == chain {
			found = true
		}
	}
	var out []Rule
	for _, r := range rs.Rules {
		if r.Family == family && r.Table == table && r.Chain == chain {
			out = append(out, r)
		}
	}
	return out, found
}
