package cli

import (
	"context"
	"encoding/json"
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
