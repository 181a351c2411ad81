package ipvs

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationReadSetsNetlink fills kube-proxy's LB sets with the real
// ipset CLI in a fresh network namespace and expects the netlink reader to
// see what ParseSets makes of `ipset list`: same sets, members, comments.
func TestIntegrationReadSetsNetlink(t *testing.T) {
	testutil.Integration(t)
	ns := fmt.Sprintf("lblab-ipset-test-%d", os.Getpid())
	sh := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	sh("ipset", "create", LoadBalancerSet, "hash:ip,port", "comment")
	sh("ipset", "create", LoadBalancerSetV6, "hash:ip,port", "family", "inet6", "comment")
	sh("ipset", "add", LoadBalancerSet, "198.51.100.7,tcp:80", "comment", "default/web:tcp-80")
	sh("ipset", "add", LoadBalancerSet, "198.51.100.8,udp:53")
	sh("ipset", "add", LoadBalancerSetV6, "2001:db8:100::7,sctp:9000", "comment", "default/web6:sctp")
	// The source-range sets, as kube-proxy makes them (testdata/kube-proxy-sets.txt).
	cidr6 := SetName(SourceCIDRSet, true)
	sh("ipset", "create", SourceCIDRSet, "hash:ip,port,net", "family", "inet", "hashsize", "1024", "maxelem", "65536")
	sh("ipset", "create", cidr6, "hash:ip,port,net", "family", "inet6", "hashsize", "1024", "maxelem", "65536")
	sh("ipset", "create", SourceIPSet, "hash:ip,port,ip", "family", "inet", "hashsize", "1024", "maxelem", "65536")
	sh("ipset", "add", SourceCIDRSet, "198.51.100.2,tcp:80,192.0.2.2/32")
	sh("ipset", "add", SourceCIDRSet, "198.51.100.3,tcp:80,10.89.0.0/24")
	sh("ipset", "add", cidr6, "2001:db8:100::2,tcp:80,2001:db8:c::/64")
	sh("ipset", "add", SourceIPSet, "198.51.100.3,tcp:80,198.51.100.3")
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "exec", ns, "ipset", "destroy").Run() })
	names := []string{LoadBalancerSet, "KUBE-ABSENT", LoadBalancerSetV6, SourceCIDRSet, cidr6, SourceIPSet}
	var listed string
	for _, n := range names {
		if n != "KUBE-ABSENT" {
			listed += sh("ipset", "list", n)
		}
	}
	want, err := ParseSets([]byte(listed))
	if err != nil {
		t.Fatal(err)
	}

	got, err := inNetns(t, ns, func() ([]Set, error) { return ReadSetsNetlink(names...) })
	if err != nil {
		t.Fatal(err)
	}
	for _, ss := range [][]Set{want, got} {
		for i := range ss {
			slices.SortFunc(ss[i].Entries, func(a, b Member) int { return a.Address.Compare(b.Address) })
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("netlink:\n%+v\nipset list:\n%+v", got, want)
	}
	if len(got) != 5 || len(got[0].Entries) != 2 || got[3].Entries[0].Net.String() != "2001:db8:c::/64" ||
		fmt.Sprint(LBSetsOf(got, false).SourceIP.Thirds(netip.MustParseAddr("198.51.100.3"), "tcp", 80)) != "[198.51.100.3/32]" || !got[0].Has(netip.MustParseAddr("198.51.100.7"), "tcp", 80) ||
		got[1].Family != "inet6" || got[1].Entries[0].Comment != "default/web6:sctp" {
		t.Errorf("sets = %+v", got)
	}
}

// inNetns runs fn on a thread in the network namespace ns.
func inNetns(t *testing.T, ns string, fn func() ([]Set, error)) ([]Set, error) {
	t.Helper()
	type result struct {
		sets []Set
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // the thread dies with the goroutine, never back in the pool
		h, err := netns.GetFromName(ns)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			ch <- result{err: err}
			return
		}
		s, err := fn()
		ch <- result{s, err}
	}()
	r := <-ch
	return r.sets, r.err
}
