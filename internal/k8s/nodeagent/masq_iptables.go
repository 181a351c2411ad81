package nodeagent

import (
	"bytes"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Masquerade backends: nftables (the default), or iptables for kernels
// without nf_tables for IPv4 and IPv6, such as Debian's user-mode Linux
// kernel, where iptables is the legacy x_tables one.
const (
	MasqNFTables = "nftables"
	MasqIPTables = "iptables"
)

// MasqChain is the nat chain that masquerades pod egress when the agent
// uses iptables; POSTROUTING jumps to it. It does what MasqTable does.
const MasqChain = "LBLAB-AGENT-MASQ"

// masqRestore renders the iptables-restore input that refills MasqChain
// for one family: traffic to any node's pod CIDR returns unchanged, other
// traffic from this node's pod CIDRs is masqueraded. With --noflush, only
// the declared chain is flushed.
func masqRestore(own, cluster []netip.Prefix, v6 bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*nat\n:%s - [0:0]\n", MasqChain)
	for _, p := range cluster {
		if p.Addr().Is6() == v6 {
			fmt.Fprintf(&b, "-A %s -d %s -j RETURN\n", MasqChain, p.Masked())
		}
	}
	for _, p := range own {
		if p.Addr().Is6() == v6 {
			fmt.Fprintf(&b, "-A %s -s %s -j MASQUERADE\n", MasqChain, p.Masked())
		}
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// syncMasqueradeIPTables fills MasqChain in both families and makes sure
// POSTROUTING jumps to it once. A family without pod CIDRs only has the
// chain emptied, and may lack its tables altogether (a guest of a
// single-stack lab loads only its family's).
func (n *linuxNetwork) syncMasqueradeIPTables(own, cluster []netip.Prefix) error {
	for _, fam := range []struct {
		bin string
		v6  bool
	}{{"iptables", false}, {"ip6tables", true}} {
		restore := n.run(fam.bin+"-restore", masqRestore(own, cluster, fam.v6), "-w", "--noflush")
		if !slices.ContainsFunc(append(slices.Clone(own), cluster...), func(p netip.Prefix) bool { return p.Addr().Is6() == fam.v6 }) {
			continue
		}
		if restore != nil {
			return restore
		}
		jump := func(op string) []string { return []string{"-w", "-t", "nat", op, "POSTROUTING", "-j", MasqChain} }
		if n.run(fam.bin, "", jump("-C")...) == nil {
			continue
		}
		if err := n.run(fam.bin, "", jump("-A")...); err != nil {
			return err
		}
	}
	return nil
}

// run runs a program in the node namespace with stdin.
func (n *linuxNetwork) run(name, stdin string, args ...string) error {
	argv := append([]string{name}, args...)
	if n.nodeNS != "" {
		argv = append([]string{"nsenter", "--net=" + filepath.Join(netnsDir, n.nodeNS), "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("failed to set up pod egress masquerading: %s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
