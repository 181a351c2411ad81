package observe

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/lblab/lblab/internal/dataplane/ipvs"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

func read(t *testing.T, path ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{".."}, path...)...))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestIPTables: IPv4 first every time, the families that were read kept
// when the other failed, and the error names what failed.
func TestIPTables(t *testing.T) {
	for i := 0; i < 10; i++ {
		rec := &run.Recorder{}
		rec.Respond("iptables-save -c", read(t, "dataplane", "iptables", "testdata", "kube-proxy-ipv4.txt"))
		rec.Fail("ip6tables-save -c", 1, "ip6tables v1.8.9: can't initialize ip6tables table `filter'")
		rs, outs, err := IPTables(context.Background(), lab.Node{Name: "node1", Runner: rec}, true, true)
		if got := strings.Join(rec.Lines(), ", "); got != "iptables-save -c, ip6tables-save -c" {
			t.Fatalf("ran %s", got)
		}
		if rs[false] == nil || rs[true] != nil || len(outs) != 1 || outs[0].Header() != "node1: iptables-save -c" {
			t.Fatalf("rulesets %v, outputs %v", rs, outs)
		}
		if err == nil || !strings.Contains(err.Error(), "failed to run ip6tables-save on node1") {
			t.Fatalf("err %v", err)
		}
	}
}

// TestIPSets: one `ipset list` reads every set; without the ipset CLI the
// LB sets of both families are asked of `lblab probe ipset`; when both
// fail, the error says why each did.
func TestIPSets(t *testing.T) {
	node := func(rec *run.Recorder) lab.Node { return lab.Node{Name: "node1", Runner: rec} }
	rec := &run.Recorder{}
	rec.Respond("ipset list", read(t, "dataplane", "ipvs", "testdata", "kube-proxy-sets.txt"))
	sets, out, err := IPSets(context.Background(), node(rec), "/lblab")
	if err != nil || len(sets) != 34 || out.Command != "ipset list" || len(rec.Lines()) != 1 {
		t.Fatalf("ipset list: %d sets, %q, %v, ran %v", len(sets), out.Command, err, rec.Lines())
	}

	rec = &run.Recorder{}
	rec.Fail("ipset list", 127, `exec: "ipset": executable file not found in $PATH`)
	rec.Respond("/lblab probe ipset", `[{"name":"KUBE-LOAD-BALANCER-FW","type":"hash:ip,port","family":"inet","entries":[{"address":"198.51.100.2","protocol":"tcp","port":80}]}]`)
	sets, _, err = IPSets(context.Background(), node(rec), "/lblab")
	if err != nil || len(sets) != 1 || !ipvs.LBSetsOf(sets, false).Firewall.Has(sets[0].Entries[0].Address, "tcp", 80) {
		t.Fatalf("through the probe: %+v, %v", sets, err)
	}
	if got := rec.Lines()[1]; got != "/lblab probe ipset "+strings.Join(ipvs.LBSetNames(), " ") {
		t.Errorf("probe asked %q", got)
	}

	rec = &run.Recorder{}
	rec.Fail("ipset list", 127, "no ipset")
	rec.Fail("/lblab probe ipset", 1, "operation not permitted")
	if _, _, err := IPSets(context.Background(), node(rec), "/lblab"); err == nil ||
		!strings.Contains(err.Error(), "no ipset") || !strings.Contains(err.Error(), "through lblab probe") || !strings.Contains(err.Error(), "operation not permitted") {
		t.Errorf("both failing: %v", err)
	}
	if _, _, err := IPSets(context.Background(), node(rec), ""); err == nil || !strings.Contains(err.Error(), "no lblab binary inside the nodes") {
		t.Errorf("no probe: %v", err)
	}
}

// TestCilium: the agent pod on the node is asked for the LB map and the
// source-range maps, in that order.
func TestCilium(t *testing.T) {
	kc := fake.NewClientset(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "cilium-x1", Namespace: "kube-system",
		Labels: map[string]string{"k8s-app": "cilium"}}, Spec: corev1.PodSpec{NodeName: "node1"}})
	var asked []string
	exec := func(_ context.Context, ns, pod, container string, argv ...string) ([]byte, error) {
		asked = append(asked, ns+"/"+pod+"/"+container+": "+strings.Join(argv, " "))
		if slices.Contains(argv, "--source-ranges") {
			return []byte(read(t, "dataplane", "cilium", "testdata", "bpf-lb-list-source-ranges.lab-dual.json")), nil
		}
		return []byte(read(t, "dataplane", "cilium", "testdata", "bpf-lb-list.lab-dual.json")), nil
	}
	fes, ranges, outs, err := Cilium(context.Background(), kc, exec, lab.Node{Name: "node1"})
	if err != nil || len(fes) == 0 || len(ranges[49]) != 1 || len(outs) != 2 {
		t.Fatalf("%d frontends, ranges %v, %d outputs, %v", len(fes), ranges, len(outs), err)
	}
	want := []string{"kube-system/cilium-x1/cilium-agent: cilium-dbg bpf lb list -o json",
		"kube-system/cilium-x1/cilium-agent: cilium-dbg bpf lb list --source-ranges -o json"}
	if !slices.Equal(asked, want) {
		t.Errorf("asked %q", asked)
	}
	if _, _, _, err := Cilium(context.Background(), kc, exec, lab.Node{Name: "node2"}); err == nil || !strings.Contains(err.Error(), "no Cilium agent pod") {
		t.Errorf("no agent on node2: %v", err)
	}
	broken := func(context.Context, string, string, string, ...string) ([]byte, error) {
		return nil, errors.New("exec refused")
	}
	if _, _, _, err := Cilium(context.Background(), kc, broken, lab.Node{Name: "node1"}); err == nil || !strings.Contains(err.Error(), "exec refused") {
		t.Errorf("exec failing: %v", err)
	}
}

// TestCiliumAgentOnNode: a netns node's agent is asked through the
// node's runner, with no pod.
func TestCiliumAgentOnNode(t *testing.T) {
	rec := &run.Recorder{}
	rec.Respond("cilium-dbg bpf lb list -o json", read(t, "dataplane", "cilium", "testdata", "bpf-lb-list.lab-dual.json"))
	rec.Respond("cilium-dbg bpf lb list --source-ranges -o json",
		read(t, "dataplane", "cilium", "testdata", "bpf-lb-list-source-ranges.lab-dual.json"))
	node := lab.Node{Name: "node1", Runner: rec, CiliumAgent: true}
	fes, ranges, outs, err := Cilium(context.Background(), fake.NewClientset(), nil, node)
	if err != nil || len(fes) == 0 || len(ranges[49]) != 1 || len(outs) != 2 {
		t.Fatalf("%d frontends, ranges %v, %d outputs, %v", len(fes), ranges, len(outs), err)
	}
	if got := rec.Lines(); len(got) != 2 {
		t.Errorf("ran %q", got)
	}
}

// TestTORReaders: the TOR's readers run the commands verify and inspect
// have always run, and say which family failed.
func TestTORReaders(t *testing.T) {
	rec := &run.Recorder{}
	rec.Respond("vtysh -c 'show bgp summary json'", read(t, "frr", "testdata", "summary-dual.json"))
	rec.Respond("vtysh -c 'show bgp ipv6 unicast json'", read(t, "frr", "testdata", "routes-ipv6.json"))
	rec.Fail("ip -j -6 route show", 1, "boom")
	tor := lab.Node{Name: "tor", Role: lab.RoleTOR, Runner: rec}
	if sum, _, err := TORSummary(context.Background(), tor); err != nil || len(sum.Peers()) != 6 {
		t.Errorf("summary: %v", err)
	}
	if rib, _, err := TORRIB(context.Background(), tor, true); err != nil || len(rib.Routes) == 0 {
		t.Errorf("IPv6 RIB: %v", err)
	}
	if _, _, err := TORRoutes(context.Background(), tor, true); err == nil || !strings.Contains(err.Error(), "failed to read the TOR's IPv6 routes") {
		t.Errorf("IPv6 routes: %v", err)
	}
	if h, ok := TOR([]lab.Node{{Name: "node1", Role: lab.RoleWorker}, tor}); !ok || h.Name != "tor" {
		t.Errorf("TOR: %v %v", h, ok)
	}
}
