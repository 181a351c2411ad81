//go:build kind

package kind

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/testutil"
)

// These tests need Docker. They are built only with `-tags kind`; `make
// integration-kind` runs them, and .github/workflows/kind-e2e.yaml calls it
// after `lblab up --backend kind`, with LBLAB_KIND_LAB naming the lab (that
// workflow has not run yet). Without Docker they skip and say so
// (LBLAB_INTEGRATION=1, which make integration-kind sets, turns that into a
// failure).

func needDocker(t *testing.T) *backend {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv(testutil.EnvIntegration) == "1" {
			t.Fatalf("Docker is absent, and LBLAB_INTEGRATION=1 says these tests must run: %v", err)
		}
		t.Skipf("Docker is absent, so the kind backend's integration tests cannot run: %v", err)
	}
	return New(Options{}).(*backend)
}

func needLab(t *testing.T) string {
	t.Helper()
	name := os.Getenv("LBLAB_KIND_LAB")
	if name == "" {
		t.Skip("LBLAB_KIND_LAB names no running kind lab (the workflow sets it after `lblab up --backend kind`)")
	}
	return name
}

// The real moby client: exec with stdin and exit codes, file copies, and
// inspection of the lab's containers.
func TestIntegrationKindDocker(t *testing.T) {
	b := needDocker(t)
	name := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := b.api()
	if err != nil {
		t.Fatal(err)
	}
	subnets, ok, err := d.Network(ctx, b.network)
	if err != nil || !ok || len(subnets) == 0 {
		t.Fatalf("network %s: %v %v %v", b.network, subnets, ok, err)
	}
	client := clientName(name)
	res, err := d.Exec(ctx, client, []string{"cat"}, strings.NewReader("through stdin\n"))
	if err != nil || res.ExitCode != 0 || string(res.Stdout) != "through stdin\n" {
		t.Errorf("exec cat with stdin = %+v, %v", res, err)
	}
	res, err = d.Exec(ctx, client, []string{"sh", "-c", "echo oops >&2; exit 3"}, nil)
	if err != nil || res.ExitCode != 3 || strings.TrimSpace(string(res.Stderr)) != "oops" {
		t.Errorf("exec exit 3 = %+v, %v", res, err)
	}
	data := []byte("copied by the integration test\n")
	if err := d.CopyFiles(ctx, client, []file{{Path: "/tmp/lblab-it/file.txt", Mode: 0o600, Data: data}}); err != nil {
		t.Fatal(err)
	}
	if res, err := d.Exec(ctx, client, []string{"cat", "/tmp/lblab-it/file.txt"}, nil); err != nil || !bytes.Equal(res.Stdout, data) {
		t.Errorf("copied file reads back %q, %v", res.Stdout, err)
	}
	ctrs, err := d.List(ctx, map[string]string{labelLab: name})
	if err != nil || len(ctrs) != 2 {
		t.Errorf("containers labelled %s=%s: %+v, %v", labelLab, name, ctrs, err)
	}
}

// The running lab as lblab sees it: tor, every kind node and client, with
// addresses on the kind network; vtysh answers through exec; the TOR holds
// the frr.conf lblab rendered.
func TestIntegrationKindLab(t *testing.T) {
	b := needDocker(t)
	name := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	topo, err := lab.LoadTopology(name)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := b.Nodes(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != len(topo.Nodes.List)+2 || nodes[0].Role != lab.RoleTOR || nodes[len(nodes)-1].Role != lab.RoleClient {
		t.Fatalf("nodes = %+v", nodes)
	}
	for _, n := range nodes {
		if len(n.Addrs) == 0 {
			t.Errorf("%s has no address on the kind network", n.Name)
		}
		if n.Role.IsKubernetes() {
			if _, err := n.Command(ctx, "crictl", "info"); err != nil {
				t.Errorf("%s: crictl info: %v", n.Name, err)
			}
		}
	}
	out, err := nodes[0].Command(ctx, "vtysh", "-c", "show bgp summary json")
	if err != nil || !strings.Contains(string(out), "ipv4Unicast") {
		t.Errorf("vtysh on the TOR: %s, %v", out, err)
	}
	files, err := torFiles(topo, topo.Network.Prefixes())
	if err != nil {
		t.Fatal(err)
	}
	if !sameFiles(ctx, b.docker, torName(name), files) {
		t.Error("the TOR's /etc/frr files differ from what lblab renders for this lab")
	}
}
