package diag

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
)

func TestWrite(t *testing.T) {
	torRec, nodeRec := &run.Recorder{}, &run.Recorder{}
	torRec.Respond("vtysh -c 'show running-config'", "router bgp 64496\n")
	nodeRec.Respond("iptables-save -c", "*nat\nCOMMIT\n")
	nodeRec.Fail("gobgp neighbor", 1, "connection refused")
	hosts := []lab.Node{{Name: "tor", Role: lab.RoleTOR, Runner: torRec}, {Name: "node1", Role: lab.RoleWorker, Runner: nodeRec}}
	dir := t.TempDir()
	c := Collector{Hosts: hosts, Dataplane: topology.DataplaneIPTables,
		Logs: func(_ context.Context, d string) error {
			return os.WriteFile(filepath.Join(d, "speaker-node1.log"), []byte("up\n"), 0o644)
		},
		Extra: map[string][]byte{"results.json": []byte("{}\n")}}
	if err := c.Write(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"hosts/tor/running-config.txt":    "router bgp 64496",
		"hosts/node1/iptables-save.txt":   "*nat",
		"hosts/node1/gobgp-neighbor.txt":  "gobgp neighbor failed",
		"logs/speaker-node1.log":          "up",
		"results.json":                    "{}",
		"errors.txt":                      "node1: gobgp neighbor: ",
		"hosts/tor/bgp-ipv4-unicast.json": "",
	} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s: %q %v, want %q", file, data, err, want)
		}
	}
	var lines []string
	for _, c := range nodeRec.Calls() {
		lines = append(lines, c.String())
	}
	if !strings.Contains(strings.Join(lines, "\n"), "ip6tables-save -c") {
		t.Errorf("node commands: %v", lines)
	}
}

func TestHostCommandsPerMode(t *testing.T) {
	has := func(cmds []Command, argv0 string) bool {
		for _, c := range cmds {
			if c.Argv[0] == argv0 {
				return true
			}
		}
		return false
	}
	if !has(HostCommands(lab.RoleWorker, topology.DataplaneNFTables, ""), "nft") {
		t.Error("nftables nodes must dump nft")
	}
	ipvsCmds := HostCommands(lab.RoleWorker, topology.DataplaneIPVS, "/usr/bin/lblab")
	if !has(ipvsCmds, "/usr/bin/lblab") || !has(ipvsCmds, "ipset") {
		t.Error("ipvs nodes must dump IPVS through the probe and the ipsets")
	}
	for _, c := range ipvsCmds {
		if c.Argv[0] == "/usr/bin/lblab" && c.Argv[2] == "ipset" && !slices.Contains(c.Argv, "KUBE-6-LOAD-BALANCER-SOURCE-CID") {
			t.Errorf("the probe's ipsets leave out the source-range sets: %v", c.Argv)
		}
	}
	probes := map[string]bool{}
	for _, c := range HostCommands(lab.RoleWorker, topology.DataplaneIPVS, "/usr/bin/lblab") {
		if c.Argv[0] == "/usr/bin/lblab" {
			probes[c.File] = slices.Equal(c.Argv[1:3], []string{"probe", "ipvs"}) || slices.Equal(c.Argv[1:3], []string{"probe", "ipset"})
		}
	}
	if !probes["ipvs.json"] || !probes["ipsets.json"] {
		t.Errorf("ipvs nodes: probe files %v, want ipvs.json and ipsets.json (nodes without the ipset CLI)", probes)
	}
	if !has(HostCommands(lab.RoleWorker, topology.DataplaneEBPF, ""), "cilium-dbg") {
		t.Error("ebpf nodes must dump their Cilium agent's state")
	}
	if has(HostCommands(lab.RoleTOR, topology.DataplaneIPTables, ""), "iptables-save") {
		t.Error("the TOR runs no kube-proxy")
	}
}

// TestWriteGoesOnPastAHost: a host whose directory cannot be made is noted
// in errors.txt; the other hosts are still collected (Write used to return
// at once, with the commands of the hosts before still running).
func TestWriteGoesOnPastAHost(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "hosts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts", "tor"), nil, 0o644); err != nil { // not a directory
		t.Fatal(err)
	}
	rec := &run.Recorder{}
	rec.Respond("ip addr show", "1: lo\n")
	hosts := []lab.Node{{Name: "tor", Role: lab.RoleTOR, Runner: rec}, {Name: "client", Role: lab.RoleClient, Runner: rec}}
	if err := (Collector{Hosts: hosts}).Write(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{"hosts/client/ip-addr.txt": "1: lo", "errors.txt": "tor: mkdir "} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s: %q %v, want %q", file, data, err, want)
		}
	}
}
