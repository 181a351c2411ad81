package ipvs

import (
	"bufio"
	"bytes"
	"strings"
)

// FirewallRules are the iptables rules of one family through which
// kube-proxy's ipvs mode enforces loadBalancerSourceRanges: a rule that
// sends what matches KUBE-LOAD-BALANCER-FW to a chain that lets the
// KUBE-LOAD-BALANCER-SOURCE-CIDR and -SOURCE-IP matches return and drops
// the rest. kube-proxy writes them only for sets that have entries, after
// it has filled the sets, and on a slow node seconds after: an address in
// the firewall set is filtered only once these rules are there.
type FirewallRules struct {
	// Lines are the rules read, as iptables-save prints them.
	Lines []string `json:"lines,omitempty"`
	// Drops: the firewall set's chain ends in DROP (or REJECT).
	Drops bool `json:"drops"`
	// CIDRs and IPs: that chain lets the source-range and source-IP set
	// matches return.
	CIDRs bool `json:"cidrs"`
	IPs   bool `json:"ips"`
}

// ParseFirewallRules reads the rules of one family from iptables-save (or
// ip6tables-save) output, any table.
func ParseFirewallRules(save []byte, v6 bool) FirewallRules {
	var rules []string
	sc := bufio.NewScanner(bytes.NewReader(save))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "-A ") {
			rules = append(rules, line)
		}
	}
	var fr FirewallRules
	chain := ""
	for _, r := range rules {
		if matches(r, SetName(FirewallSet, v6), "dst,dst") {
			chain = jumpOf(r)
			fr.Lines = append(fr.Lines, r)
			break
		}
	}
	if chain == "" {
		return fr
	}
	for _, r := range rules {
		f := strings.Fields(r)
		if len(f) < 2 || f[1] != chain {
			continue
		}
		fr.Lines = append(fr.Lines, r)
		switch j := jumpOf(r); {
		case j == "RETURN" && matches(r, SetName(SourceCIDRSet, v6), "dst,dst,src"):
			fr.CIDRs = true
		case j == "RETURN" && matches(r, SetName(SourceIPSet, v6), "dst,dst,src"):
			fr.IPs = true
		case (j == "DROP" || j == "REJECT") && !strings.Contains(r, "--match-set"):
			fr.Drops = true
		}
	}
	return fr
}

// matches reports whether rule r matches ipset set with flags.
func matches(r, set, flags string) bool {
	f := strings.Fields(r)
	for i := 0; i+2 < len(f); i++ {
		if f[i] == "--match-set" && f[i+1] == set && f[i+2] == flags {
			return !(i > 0 && f[i-1] == "!")
		}
	}
	return false
}

// jumpOf returns a rule's -j target.
func jumpOf(r string) string {
	f := strings.Fields(r)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "-j" {
			return f[i+1]
		}
	}
	return ""
}
