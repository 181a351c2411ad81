package cli

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/run"
)

// TestInspectViewsOnCaptures runs inspect ipt and nft on captured
// kube-proxy output, as a table and as JSON: the walk under a heading per
// LB IP:port, and a view (or error) per LB IP:port.
func TestInspectViewsOnCaptures(t *testing.T) {
	read := func(path string) string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	rec := &run.Recorder{}
	rec.Respond("iptables-save -c", read("../dataplane/iptables/testdata/kube-proxy-ipv4.txt"))
	rec.Respond("ip6tables-save -c", read("../dataplane/iptables/testdata/kube-proxy-ipv6.txt"))
	rec.Respond("nft -j list ruleset", read("../dataplane/nftables/testdata/kube-proxy.json"))
	for _, tt := range []struct {
		view func(context.Context, *inspection) error
		want []string
	}{
		{inspectIPT, []string{"== node1: default/web 198.51.100.0:80/tcp", "-A KUBE-SERVICES", "ENDPOINT CHAIN", "KUBE-SEP-",
			"== node1: default/web [2001:db8:100::]:80/tcp"}},
		{inspectNFT, []string{"== node1: default/web 198.51.100.0:80/tcp", "map service-ips: 198.51.100.0 . tcp . 80 : goto external-",
			"endpoints: 10.244.", "== node1: default/web [2001:db8:100::]:80/tcp", "endpoints: [fd00:10:244:"}},
	} {
		iv, out := dualStackInspection("table", rec)
		if err := tt.view(context.Background(), iv); err != nil || iv.failed {
			t.Fatalf("%v, failed %v\n%s", err, iv.failed, out)
		}
		for _, want := range tt.want {
			if !strings.Contains(out.String(), want) {
				t.Errorf("table misses %q:\n%s", want, out)
			}
		}
		iv, out = dualStackInspection("json", rec)
		if err := tt.view(context.Background(), iv); err != nil {
			t.Fatal(err)
		}
		var views []nodeView
		if err := json.Unmarshal(out.Bytes(), &views); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(views) != 2 || views[0].View == nil || views[0].Error != "" || views[1].Target != "[2001:db8:100::]:80/tcp" {
			t.Errorf("json views: %+v", views)
		}
	}
	// A node without the rules: the error under the heading, the run failed.
	iv, out := dualStackInspection("table", &run.Recorder{})
	if err := inspectNFT(context.Background(), iv); err == nil && !iv.failed {
		t.Errorf("no nft ruleset must fail:\n%s", out)
	}
}

// TestInspectIPVSSources: inspect ipv shows, per LB IP:port, whether it is
// in KUBE-LOAD-BALANCER and which sources kube-proxy's firewall sets let
// in (here the captured sets of kube-proxy's shape).
func TestInspectIPVSSources(t *testing.T) {
	sets, err := os.ReadFile("../dataplane/ipvs/testdata/kube-proxy-sets.txt")
	if err != nil {
		t.Fatal(err)
	}
	rec := &run.Recorder{}
	rec.Respond("/lblab probe ipvs", `{"available": true, "virtualServers": [
	  {"address": "198.51.100.0", "protocol": "tcp", "port": 80, "scheduler": "rr", "realServers": []},
	  {"address": "198.51.100.2", "protocol": "tcp", "port": 80, "scheduler": "rr", "realServers": []},
	  {"address": "198.51.100.3", "protocol": "tcp", "port": 80, "scheduler": "rr", "realServers": []}]}`)
	rec.Respond("ipset list", string(sets))
	for _, save := range []string{"iptables-save", "ip6tables-save"} {
		data, err := os.ReadFile("../dataplane/ipvs/testdata/" + save + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		rec.Respond(save, string(data))
	}
	iv, out := dualStackInspection("table", rec)
	iv.services[0].LBIPs = []netip.Addr{netip.MustParseAddr("198.51.100.0"), netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("198.51.100.3")}
	if err := inspectIPVS(context.Background(), iv); err != nil || iv.failed {
		t.Fatalf("%v, failed %v\n%s", err, iv.failed, out)
	}
	rows := map[string]string{} // target → IN IPSET and SOURCES
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 6 && f[0] == "default/web" {
			rows[f[1]] = strings.Join(f[5:], " ")
		}
	}
	for target, want := range map[string]string{"198.51.100.0:80/tcp": "yes all", "198.51.100.2:80/tcp": "yes 192.0.2.2/32",
		"198.51.100.3:80/tcp": "yes 10.89.0.0/24 192.0.2.0/24"} {
		if rows[target] != want {
			t.Errorf("%s: %q, want %q:\n%s", target, rows[target], want, out)
		}
	}
}
