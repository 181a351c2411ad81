package cilium

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
)

// SourceRanges are the entries of Cilium's LB source-range maps
// (cilium_lb4_source_range, cilium_lb6_source_range) by rev-NAT ID, the
// ID of the frontend they belong to, each list sorted.
type SourceRanges map[int][]netip.Prefix

// rangeKeyRe matches SourceRangeKey4/6.String(): "%s (%d)" of the prefix
// and the rev-NAT ID (pkg/loadbalancer/maps in Cilium 1.20).
var rangeKeyRe = regexp.MustCompile(`^(\S+/\d+) \((\d+)\)$`)

// ParseSourceRanges parses `cilium-dbg bpf lb list --source-ranges -o
// json`: a map from each key to its values, which print as "".
func ParseSourceRanges(data []byte) (SourceRanges, error) {
	var raw map[string][]string
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("failed to parse `cilium-dbg bpf lb list --source-ranges -o json`: %w", err)
	}
	out := SourceRanges{}
	for key := range raw {
		m := rangeKeyRe.FindStringSubmatch(key)
		if m == nil {
			return nil, fmt.Errorf("failed to parse BPF LB source range %q", key)
		}
		p, err := netip.ParsePrefix(m[1])
		if err != nil {
			return nil, fmt.Errorf("failed to parse BPF LB source range %q: %w", key, err)
		}
		id, _ := strconv.Atoi(m[2])
		out[id] = append(out[id], p)
	}
	for id := range out {
		slices.SortFunc(out[id], comparePrefixes)
	}
	return out, nil
}

func comparePrefixes(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// Service flags (loadbalancer.ServiceFlags.String) about source ranges.
const (
	flagCheckSourceRange = "check source-range"
	flagDeny             = "deny"
)

// allowed returns the sources a frontend lets in: nil and false when it
// does not check them (every source, whatever the map holds), else its
// entries of the map (none: everything is dropped). A deny list (the
// "deny" flag, from Cilium's source-ranges policy annotation) lets in the
// sources it does not list, which no allow list can say: it is reported
// as not checked, with a rule that says what it denies.
func (f *Frontend) allowed(ranges SourceRanges) (out []netip.Prefix, checked bool, rules []string) {
	own := ranges[f.RevNAT]
	check := slices.Contains(f.Flags, flagCheckSourceRange)
	switch {
	case !check && len(own) > 0:
		return nil, false, []string{fmt.Sprintf("source ranges (rev-NAT %d) %v not in force: no %q flag", f.RevNAT, own, flagCheckSourceRange)}
	case !check:
		return nil, false, nil
	case slices.Contains(f.Flags, flagDeny):
		return nil, false, []string{fmt.Sprintf("source ranges (rev-NAT %d) %v are a deny list: every other source gets in", f.RevNAT, own)}
	}
	return append([]netip.Prefix{}, own...), true, []string{fmt.Sprintf("source ranges (rev-NAT %d): %v", f.RevNAT, own)}
}
