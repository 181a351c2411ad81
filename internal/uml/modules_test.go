package uml

import (
	"slices"
	"strings"
	"testing"
)

// A few lines of Debian's user-mode-linux 6.1 modules.dep.
const modulesDep = `kernel/lib/crc-ccitt.ko:
kernel/net/ipv6/ipv6.ko:
kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko:
kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko: kernel/net/ipv6/ipv6.ko
kernel/net/netfilter/nf_conntrack.ko: kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/net/ipv6/ipv6.ko kernel/lib/crc-ccitt.ko
kernel/net/netfilter/ipvs/ip_vs.ko: kernel/net/netfilter/nf_conntrack.ko kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/net/ipv6/ipv6.ko kernel/lib/crc-ccitt.ko
kernel/net/netfilter/ipvs/ip_vs_rr.ko: kernel/net/netfilter/ipvs/ip_vs.ko kernel/net/netfilter/nf_conntrack.ko kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/net/ipv6/ipv6.ko kernel/lib/crc-ccitt.ko
kernel/drivers/net/dummy.ko:
kernel/net/ipv4/netfilter/ipt_REJECT.ko: kernel/net/ipv4/netfilter/nf_reject_ipv4.ko
kernel/net/ipv4/netfilter/nf_reject_ipv4.ko:
`

func TestLoadOrder(t *testing.T) {
	m, err := ParseModulesDep(strings.NewReader(modulesDep))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		names []string
		want  []string
	}{
		{[]string{"dummy"}, []string{"kernel/drivers/net/dummy.ko"}},
		{[]string{"ip_vs_rr", "ip_vs", "ipt-REJECT"}, []string{
			"kernel/lib/crc-ccitt.ko", "kernel/net/ipv6/ipv6.ko", "kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko",
			"kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko", "kernel/net/netfilter/nf_conntrack.ko",
			"kernel/net/netfilter/ipvs/ip_vs.ko", "kernel/net/netfilter/ipvs/ip_vs_rr.ko",
			"kernel/net/ipv4/netfilter/nf_reject_ipv4.ko", "kernel/net/ipv4/netfilter/ipt_REJECT.ko",
		}},
	}
	for _, tt := range tests {
		got, err := m.LoadOrder(tt.names)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("LoadOrder(%v) =\n%v\nwant\n%v", tt.names, got, tt.want)
		}
	}
}

func TestLoadOrderUnknown(t *testing.T) {
	m, err := ParseModulesDep(strings.NewReader(modulesDep))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.LoadOrder([]string{"dummy", "nf_tables_inet", "xt_nope"})
	if err == nil || !strings.Contains(err.Error(), "no module nf_tables_inet, xt_nope") {
		t.Fatalf("err = %v, want one naming both unknown modules", err)
	}
}

func TestParseModulesDepEmpty(t *testing.T) {
	if _, err := ParseModulesDep(strings.NewReader("\n")); err == nil {
		t.Fatal("an empty modules.dep parsed without error")
	}
}
