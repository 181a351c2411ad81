// Command metallb-install installs MetalLB by hand into a netns lab that
// was brought up with `lblab up --controller none`, the way issue 4 says
// another controller can be checked by `lblab verify`:
//   - MetalLB's CRDs (config/crd/bases) and its own ServiceAccounts and
//     RBAC (from config/manifests/metallb-native.yaml), read from the Go
//     module cache, never copied into this repository;
//   - a token minted for each ServiceAccount (TokenRequest) in a
//     kubeconfig, so MetalLB runs with exactly its own RBAC;
//   - an IPAddressPool per topology pool, a BGPPeer per TOR address family
//     (ASNs, hold and keepalive times from the topology) and one
//     BGPAdvertisement, in native BGP mode without memberlist;
//   - MetalLB's controller in <lab>_control-plane and a speaker in every
//     Kubernetes node's namespace, as detached processes (nsenter, setsid)
//     logging to the lab's logs directory, so `lblab down` ends them.
//
// It is run by hack/metallb/install.sh, which builds the binaries.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// Namespace is where MetalLB's own manifests put it.
const Namespace = "metallb-system"

type options struct {
	lab     string
	bin     string // directory with MetalLB's controller and speaker
	module  string // go.universe.tf/metallb@version in the module cache
	version string
	lblab   string
	print   bool
	timeout time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.lab, "lab", "", "lab name (brought up with --controller none)")
	flag.StringVar(&o.bin, "bin", "", "directory holding MetalLB's controller and speaker binaries")
	flag.StringVar(&o.module, "module", "", "MetalLB's module directory in the Go module cache")
	flag.StringVar(&o.version, "version", "v0.15.2", "MetalLB version (for the speaker Pods' image name)")
	flag.StringVar(&o.lblab, "lblab", "bin/lblab", "lblab binary (its kubectl applies MetalLB's manifests)")
	flag.BoolVar(&o.print, "print-config", false, "print the MetalLB configuration for the lab and exit")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "how long to wait for every speaker's BGP session")
	flag.Parse()
	if o.lab == "" || (!o.print && (o.bin == "" || o.module == "")) {
		fmt.Fprintln(os.Stderr, "usage: metallb-install -lab NAME -bin DIR -module DIR [-lblab PATH]")
		os.Exit(2)
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	t, err := labTopology(o.lab)
	if err != nil {
		return err
	}
	cfg, err := configYAML(t)
	if err != nil {
		return err
	}
	if o.print {
		fmt.Print(cfg)
		return nil
	}
	for _, b := range []string{"controller", "speaker"} {
		if _, err := os.Stat(filepath.Join(o.bin, b)); err != nil {
			return fmt.Errorf("failed to find MetalLB's %s in %s (hack/metallb/install.sh builds it): %w", b, o.bin, err)
		}
	}
	k, err := newKube(o)
	if err != nil {
		return err
	}
	step := func(what string, fn func() error) error {
		start := time.Now()
		if err := fn(); err != nil {
			return err
		}
		fmt.Printf(" ✓ %s (%s)\n", what, time.Since(start).Round(time.Millisecond))
		return nil
	}
	if err := step("MetalLB CRDs from "+o.module, k.applyCRDs); err != nil {
		return err
	}
	if err := step("MetalLB's namespace, ServiceAccounts and RBAC (metallb-native.yaml)", k.applyRBAC); err != nil {
		return err
	}
	if err := step("IPAddressPools, BGPPeers and BGPAdvertisement from the topology", func() error { return k.apply(cfg) }); err != nil {
		return err
	}
	nodes, err := k.nodes(ctx)
	if err != nil {
		return err
	}
	if err := step("MetalLB controller in "+o.lab+"_control-plane", func() error { return k.startController(ctx) }); err != nil {
		return err
	}
	if err := step(fmt.Sprintf("MetalLB speakers on %d nodes", len(nodes)), func() error { return k.startSpeakers(ctx, nodes) }); err != nil {
		return err
	}
	if err := step("every speaker's BGP session Established on the TOR", func() error { return k.waitSessions(ctx, nodes, o.timeout) }); err != nil {
		return err
	}
	fmt.Printf("MetalLB %s runs in lab %s; logs in %s\n", o.version, o.lab, filepath.Join(lab.StateDir(o.lab), "logs"))
	return nil
}

// labTopology returns the lab's resolved topology, refusing a lab that
// runs the bundled controller (two controllers would fight over Services).
func labTopology(name string) (*topology.Topology, error) {
	st, err := lab.LoadState(name)
	if err != nil {
		return nil, fmt.Errorf("failed to read lab %s (bring it up with `lblab up --name %s --controller none`): %w", name, name, err)
	}
	if st.Backend != "netns" {
		return nil, fmt.Errorf("lab %s uses the %s backend; this installer runs MetalLB as processes of a netns lab", name, st.Backend)
	}
	if st.Controller != topology.ControllerNone {
		return nil, fmt.Errorf("lab %s runs controller %q; bring it up with `lblab up --name %s --controller none`", name, st.Controller, name)
	}
	if st.FabricOnly {
		return nil, fmt.Errorf("lab %s has no Kubernetes (--fabric-only)", name)
	}
	return lab.LoadTopology(name)
}
