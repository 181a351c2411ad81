package nftables

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// renderStmt renders one statement of a rule (or a map value) in nft's
// syntax. Statements lblab does not know are printed as compact JSON.
func renderStmt(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) != 1 {
		return renderExpr(raw)
	}
	for k, v := range m {
		switch k {
		case "match":
			var x struct {
				Op          string
				Left, Right json.RawMessage
			}
			_ = json.Unmarshal(v, &x)
			op := x.Op
			if op == "==" || op == "in" {
				return renderExpr(x.Left) + " " + renderExpr(x.Right)
			}
			return renderExpr(x.Left) + " " + op + " " + renderExpr(x.Right)
		case "jump", "goto":
			var x struct{ Target string }
			_ = json.Unmarshal(v, &x)
			return k + " " + x.Target
		case "vmap":
			var x struct{ Key, Data json.RawMessage }
			_ = json.Unmarshal(v, &x)
			return renderExpr(x.Key) + " vmap " + renderExpr(x.Data)
		case "mangle":
			var x struct{ Key, Value json.RawMessage }
			_ = json.Unmarshal(v, &x)
			return renderExpr(x.Key) + " set " + renderExpr(x.Value)
		case "dnat", "snat":
			var x struct {
				Family     string
				Addr, Port json.RawMessage
			}
			_ = json.Unmarshal(v, &x)
			s := k
			if x.Family != "" {
				s += " " + x.Family
			}
			s += " to " + renderExpr(x.Addr)
			if len(x.Port) > 0 {
				s += ":" + renderExpr(x.Port)
			}
			return s
		case "accept", "drop", "return", "continue":
			return k
		case "counter":
			var x struct{ Packets, Bytes uint64 }
			_ = json.Unmarshal(v, &x)
			return fmt.Sprintf("counter packets %d bytes %d", x.Packets, x.Bytes)
		case "reject", "masquerade":
			return k
		}
	}
	return renderExpr(raw)
}

// renderExpr renders an expression: a value, a payload/meta/ct selector, a
// set, a map lookup, a concatenation.
func renderExpr(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, e := range list {
			parts = append(parts, renderExpr(e))
		}
		return strings.Join(parts, ", ")
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return string(raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) != 1 {
		return compact(raw)
	}
	k, v := keys[0], m[keys[0]]
	switch k {
	case "payload":
		var x struct{ Protocol, Field string }
		_ = json.Unmarshal(v, &x)
		return x.Protocol + " " + x.Field
	case "meta", "ct":
		var x struct{ Key string }
		_ = json.Unmarshal(v, &x)
		return k + " " + x.Key
	case "fib":
		var x struct {
			Result string
			Flags  json.RawMessage
		}
		_ = json.Unmarshal(v, &x)
		return "fib " + strings.ReplaceAll(renderExpr(x.Flags), ", ", " . ") + " " + x.Result
	case "concat":
		var parts []json.RawMessage
		_ = json.Unmarshal(v, &parts)
		out := make([]string, 0, len(parts))
		for _, p := range parts {
			out = append(out, renderExpr(p))
		}
		return strings.Join(out, " . ")
	case "prefix":
		var x struct {
			Addr json.RawMessage
			Len  int
		}
		_ = json.Unmarshal(v, &x)
		return fmt.Sprintf("%s/%d", renderExpr(x.Addr), x.Len)
	case "range":
		var x []json.RawMessage
		_ = json.Unmarshal(v, &x)
		if len(x) == 2 {
			return renderExpr(x[0]) + "-" + renderExpr(x[1])
		}
	case "set":
		var elems []json.RawMessage
		_ = json.Unmarshal(v, &elems)
		out := make([]string, 0, len(elems))
		for _, e := range elems {
			var pair []json.RawMessage
			if json.Unmarshal(e, &pair) == nil && len(pair) == 2 {
				out = append(out, renderExpr(pair[0])+" : "+renderStmt(pair[1]))
				continue
			}
			out = append(out, renderExpr(e))
		}
		return "{ " + strings.Join(out, ", ") + " }"
	case "map":
		var x struct{ Key, Data json.RawMessage }
		_ = json.Unmarshal(v, &x)
		return renderExpr(x.Key) + " map " + renderExpr(x.Data)
	case "numgen":
		var x struct {
			Mode string
			Mod  int
		}
		_ = json.Unmarshal(v, &x)
		return fmt.Sprintf("numgen %s mod %d", x.Mode, x.Mod)
	case "|", "&", "^":
		var x []json.RawMessage
		_ = json.Unmarshal(v, &x)
		if len(x) == 2 {
			return renderExpr(x[0]) + " " + k + " " + renderExpr(x[1])
		}
	case "jump", "goto":
		var x struct{ Target string }
		_ = json.Unmarshal(v, &x)
		return k + " " + x.Target
	case "accept", "drop", "return", "continue":
		return k
	}
	return compact(raw)
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
