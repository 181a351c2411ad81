package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/scenarios"
)

// dualStackInspection is an inspection of one node and one dual-stack
// Service, whose node answers from rec.
func dualStackInspection(output string, rec *run.Recorder) (*inspection, *bytes.Buffer) {
	var out bytes.Buffer
	node := lab.Node{Name: "node1", Role: lab.RoleWorker, Runner: rec}
	return &inspection{
		g:     &globals{stdout: &out, stderr: &out},
		f:     &inspectFlags{output: output},
		env:   &scenarios.LiveEnv{LabName: "unit", HostList: []lab.Node{node}, ProbePath: "/lblab"},
		nodes: []lab.Node{node},
		services: []scenarios.ServiceInfo{{Namespace: "default", Name: "web",
			LBIPs: []netip.Addr{netip.MustParseAddr("198.51.100.0"), netip.MustParseAddr("2001:db8:100::")},
			Ports: []scenarios.PortInfo{{Port: 80, Protocol: "tcp"}}}},
	}, &out
}

// Views print and list the families in one order, IPv4 first, run after
// run (they once followed Go's random map order).
func TestInspectFamilyOrder(t *testing.T) {
	v4set, err := os.ReadFile("../dataplane/ipvs/testdata/ipset-ipv4.txt")
	if err != nil {
		t.Fatal(err)
	}
	v6set, err := os.ReadFile("../dataplane/ipvs/testdata/ipset-ipv6.txt")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		rec := &run.Recorder{}
		iv, out := dualStackInspection("raw", rec)
		if err := inspectIPT(context.Background(), iv); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rec.Lines(), ", "); got != "iptables-save -c, ip6tables-save -c" {
			t.Fatalf("inspect ipt ran %s", got)
		}
		if first, second := strings.Index(out.String(), "### node1: iptables-save"), strings.Index(out.String(), "### node1: ip6tables-save"); first < 0 || second < first {
			t.Fatalf("inspect ipt -o raw printed IPv6 first:\n%s", out)
		}

		rec = &run.Recorder{}
		rec.Respond("/lblab probe ipvs", `{"available": true, "virtualServers": []}`)
		rec.Respond("ipset list", string(v6set)+"\n"+string(v4set)) // the order ipset lists them in does not matter
		iv, out = dualStackInspection("json", rec)
		if err := inspectIPVS(context.Background(), iv); err != nil {
			t.Fatal(err)
		}
		var views []struct {
			Sets []struct{ Family string } `json:"ipsets"`
		}
		if err := json.Unmarshal(out.Bytes(), &views); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(views) != 1 || len(views[0].Sets) != 2 || views[0].Sets[0].Family != "inet" || views[0].Sets[1].Family != "inet6" {
			t.Fatalf("inspect ipv -o json lists the ipsets as %+v, want inet then inet6", views)
		}
	}
}

// TestInspectReadsAsVerify: inspect's views and verify's dataplane-rules
// read a node with the same readers, so they run the same commands.
func TestInspectReadsAsVerify(t *testing.T) {
	for _, tt := range []struct {
		mode topology.Dataplane
		view func(context.Context, *inspection) error
	}{
		{topology.DataplaneIPTables, inspectIPT},
		{topology.DataplaneNFTables, inspectNFT},
		{topology.DataplaneIPVS, inspectIPVS},
	} {
		answer := func(rec *run.Recorder) {
			rec.Respond("/lblab probe ipvs", `{"available": true, "virtualServers": []}`)
		}
		inspected := &run.Recorder{}
		answer(inspected)
		iv, _ := dualStackInspection("table", inspected)
		_ = tt.view(context.Background(), iv)
		verified := &run.Recorder{}
		answer(verified)
		_, _ = scenarios.ReadPlane(context.Background(), iv.env, tt.mode, lab.Node{Name: "node1", Runner: verified}, true, true)
		if got, want := inspected.Lines(), verified.Lines(); !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("%s: inspect ran %q, verify %q", tt.mode, got, want)
		}
	}
}
