package metallb

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/topology"
)

// TestProcessesMemberlist: in L2 mode every speaker runs memberlist on its
// node's address with one key for the lab, written where its flag points;
// in BGP mode none does.
func TestProcessesMemberlist(t *testing.T) {
	nodes := []controllers.Node{{Name: "node1", IP: netip.MustParseAddr("10.89.0.11")}, {Name: "node2", IP: netip.MustParseAddr("10.89.0.12")}}
	for _, mode := range []topology.Mode{topology.ModeBGP, topology.ModeL2} {
		top := &topology.Topology{Controller: topology.Controller{Mode: mode}}
		procs := Processes(components.Binaries{components.MetalLBController: "/bin/metallb-controller", components.MetalLBSpeaker: "/bin/metallb-speaker"}, top, nodes)
		if len(procs) != 3 {
			t.Fatalf("%s: %d processes, want the controller and 2 speakers", mode, len(procs))
		}
		var keys []string
		for _, p := range procs[1:] {
			ml := slices.ContainsFunc(p.Argv, func(a string) bool { return strings.HasPrefix(a, "--ml-") })
			if ml != (mode == topology.ModeL2) || (p.Prepare != nil) != ml {
				t.Errorf("%s: %s runs memberlist %v (prepare %v): %v", mode, p.Name, ml, p.Prepare != nil, p.Argv)
			}
			if !ml {
				continue
			}
			ip := "--ml-bindaddr=" + nodes[len(keys)].IP.String()
			if !slices.Contains(p.Argv, ip) || !slices.Contains(p.Argv, "--ml-secret-key-path="+controllers.TmpDir) {
				t.Errorf("%s: want %s and the key in its prepared directory: %v", p.Name, ip, p.Argv)
			}
			dir := t.TempDir()
			if err := p.Prepare(dir); err != nil {
				t.Fatal(err)
			}
			key, err := os.ReadFile(filepath.Join(dir, memberlistKey))
			if err != nil || len(key) == 0 {
				t.Fatalf("%s: no key written: %v", p.Name, err)
			}
			keys = append(keys, string(key))
		}
		if len(keys) == 2 && keys[0] != keys[1] {
			t.Errorf("the speakers' memberlist keys differ: %q, %q", keys[0], keys[1])
		}
	}
}
