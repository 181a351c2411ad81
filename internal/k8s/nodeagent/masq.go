package nodeagent

import (
	"bytes"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
)

// MasqTable is the nftables table that masquerades pod egress.
//
// Why the agent masquerades at all: pods' default route goes through the
// node to the TOR, and nothing outside the cluster (the TOR, the client)
// has a route back to the pod CIDRs. So a pod connecting out gets no
// replies unless its source is rewritten to the node's address, as kindnet
// does for traffic leaving the cluster. Only connections that pods open
// towards addresses outside every node's pod CIDR are rewritten: replies
// to connections that come in (LoadBalancer and NodePort traffic) keep the
// client's real address, and pod-to-pod traffic is routed unchanged.
// kube-proxy's own NAT is untouched; this runs after it (srcnat + 10).
const MasqTable = "lblab_agent"

// masqRuleset renders the nft script that replaces the table.
func masqRuleset(own, cluster []netip.Prefix) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s\ndelete table inet %s\n", MasqTable, MasqTable)
	if len(own) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "table inet %s {\n", MasqTable)
	for _, fam := range []struct {
		set, typ string
		v4       bool
	}{{"pods4", "ipv4_addr", true}, {"pods6", "ipv6_addr", false}} {
		fmt.Fprintf(&b, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n", fam.set, fam.typ)
		var elems []string
		for _, p := range cluster {
			if p.Addr().Is4() == fam.v4 {
				elems = append(elems, p.Masked().String())
			}
		}
		if len(elems) > 0 {
			fmt.Fprintf(&b, "\t\telements = { %s }\n", strings.Join(elems, ", "))
		}
		b.WriteString("\t}\n")
	}
	fmt.Fprintf(&b, "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat + 10; policy accept;\n")
	for _, p := range own {
		if p.Addr().Is4() {
			fmt.Fprintf(&b, "\t\tip saddr %s ip daddr != @pods4 masquerade\n", p.Masked())
		} else {
			fmt.Fprintf(&b, "\t\tip6 saddr %s ip6 daddr != @pods6 masquerade\n", p.Masked())
		}
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

func (n *linuxNetwork) SyncMasquerade(own, cluster []netip.Prefix) error {
	if n.masq == MasqIPTables {
		return n.syncMasqueradeIPTables(own, cluster)
	}
	argv := []string{"nft", "-f", "-"}
	if n.nodeNS != "" {
		argv = append([]string{"nsenter", "--net=" + filepath.Join(netnsDir, n.nodeNS), "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(masqRuleset(own, cluster))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if _, lerr := exec.LookPath("nft"); lerr != nil {
			return fmt.Errorf("failed to set up pod egress masquerading: nft not found (install the nftables package)")
		}
		return fmt.Errorf("failed to set up pod egress masquerading: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
