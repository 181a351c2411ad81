package netns

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/internal/uml"
)

// prereq is one program the backend needs, and the Debian package with it.
type prereq struct {
	path    string // absolute path, or a name looked up in PATH
	pkg     string
	purpose string
}

func prereqs(l *lab.Lab) []prereq {
	list := []prereq{
		{"ip", "iproute2", "creates namespaces, links and routes"},
		{"nsenter", "util-linux", "starts lab processes inside namespaces"},
		{"sysctl", "procps", "sets forwarding in lab hosts"},
		{"vtysh", "frr", "talks to the TOR"},
	}
	for _, d := range frr.Daemons {
		list = append(list, prereq{frr.DaemonDir + "/" + d, "frr", "runs on the TOR"})
	}
	if l.Options.FabricOnly {
		return list
	}
	switch l.Topology.Dataplane {
	case topology.DataplaneIPTables:
		list = append(list, prereq{"iptables", "iptables", "kube-proxy's iptables mode"},
			prereq{"ip6tables", "iptables", "kube-proxy's iptables mode"})
	case topology.DataplaneNFTables:
		list = append(list, prereq{"nft", "nftables", "kube-proxy's nftables mode"})
	case topology.DataplaneIPVS:
		list = append(list, prereq{"ipset", "ipset", "kube-proxy's ipvs mode"},
			prereq{"iptables", "iptables", "kube-proxy's ipvs mode"})
	}
	list = append(list, prereq{"nginx", "nginx-light", "serves the lab's pods"})
	return list
}

// Check verifies, before anything is created, that the machine can run this
// lab: privileges, programs, and kernel support for the data plane.
func (b *backend) Check(_ context.Context, l *lab.Lab) error {
	b.chooseKernel(l)
	var problems []string
	if err := b.available(); err != nil {
		problems = append(problems, err.Error())
	}
	missing := map[string][]string{}
	var pkgs []string
	for _, p := range prereqs(l) {
		if _, err := b.lookPath(p.path); err != nil {
			if len(missing[p.pkg]) == 0 {
				pkgs = append(pkgs, p.pkg)
			}
			missing[p.pkg] = append(missing[p.pkg], fmt.Sprintf("%s (%s)", p.path, p.purpose))
		}
	}
	for _, pkg := range pkgs {
		problems = append(problems, fmt.Sprintf("missing %s: install the Debian package %s (apt-get install %s)",
			strings.Join(missing[pkg], ", "), pkg, pkg))
	}
	if err := b.dataplaneSupported(l); err != nil {
		problems = append(problems, err.Error())
	}
	if err := b.kubernetesSupported(l); err != nil {
		problems = append(problems, err.Error())
	}
	if len(l.Topology.Controller.Classes) > 0 && l.Topology.NodeKernel == topology.NodeKernelUML {
		problems = append(problems, "controller.classes: nodes on user-mode Linux (nodeKernel uml) do not get the class controller's "+
			"second address yet; use dataplane iptables or nftables (on the machine's kernel) for a lab with two controllers")
	}
	if len(problems) == 0 {
		return nil
	}
	msg := "the netns backend cannot run this lab:\n  - " + strings.Join(problems, "\n  - ")
	if len(pkgs) > 0 {
		msg += "\n`make setup` installs every package lblab needs."
	}
	return errors.New(msg)
}

// hostIPVS reports whether the machine's kernel has IPVS.
func (b *backend) hostIPVS() bool {
	_, err := b.stat(b.ipvsProc)
	return err == nil
}

// chooseKernel resolves an empty nodeKernel: user-mode Linux when the data
// plane is ipvs and this kernel has no IPVS, the host's otherwise.
func (b *backend) chooseKernel(l *lab.Lab) {
	t := l.Topology
	if t.NodeKernel != "" {
		return
	}
	t.NodeKernel = topology.NodeKernelHost
	if t.Dataplane == topology.DataplaneIPVS && !b.hostIPVS() {
		t.NodeKernel = topology.NodeKernelUML
		l.Log.Infof(" • This kernel has no IPVS (CONFIG_IP_VS): the workers run on a user-mode Linux kernel that has it (--node-kernel uml)")
	}
}

func (b *backend) dataplaneSupported(l *lab.Lab) error {
	t := l.Topology
	if t.NodeKernel == topology.NodeKernelUML {
		if _, err := b.findUML(""); err != nil {
			return fmt.Errorf("nodeKernel uml: %w", err)
		}
		if _, err := b.lookPath("gcc"); err != nil {
			return fmt.Errorf("nodeKernel uml: %s", uml.NeedsCompiler)
		}
		switch t.Dataplane {
		case topology.DataplaneNFTables:
			return errors.New("dataplane nftables cannot run on nodeKernel uml: Debian's user-mode Linux kernel is built without " +
				"nf_tables for IPv4 and IPv6 (CONFIG_NF_TABLES_IPV4, CONFIG_NF_TABLES_IPV6, CONFIG_NF_TABLES_INET); " +
				"use --dataplane iptables or ipvs with --node-kernel uml, or nftables with --node-kernel host")
		case topology.DataplaneEBPF:
			return errors.New("dataplane ebpf runs on nodeKernel host only (lblab does not run Cilium on user-mode Linux); use --node-kernel host")
		}
	}
	if l.Options.FabricOnly {
		return nil
	}
	switch t.Dataplane {
	case topology.DataplaneIPVS:
		if t.NodeKernel == topology.NodeKernelHost && !b.hostIPVS() {
			return fmt.Errorf("dataplane ipvs needs IPVS in the kernel (CONFIG_IP_VS), and this kernel has none (%s is missing); "+
				"use --node-kernel uml (the workers then run on a user-mode Linux kernel with IPVS), --dataplane iptables or nftables, "+
				"or the kind backend on a kernel with IP_VS", b.ipvsProc)
		}
	case topology.DataplaneEBPF:
		if _, err := b.stat(components.ClangPath); err != nil {
			return components.ErrNoClang
		}
		if _, err := cgroup2Root(); err != nil {
			return fmt.Errorf("dataplane ebpf: %w", err)
		}
	}
	return nil
}

// available checks what every netns lab needs: Linux and the privileges to
// create namespaces and links.
func (b *backend) available() error {
	caps, err := b.capEff()
	if err != nil {
		return fmt.Errorf("cannot read this process's capabilities: %v", err)
	}
	const capNetAdmin, capSysAdmin = 12, 21
	if caps&(1<<capNetAdmin) == 0 || caps&(1<<capSysAdmin) == 0 {
		return errors.New("the netns backend needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN, to create network namespaces); run lblab with sudo")
	}
	return nil
}

// capEff returns the effective capability set of this process.
func capEff() (uint64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("no CapEff line in /proc/self/status")
}

// Available reports whether this machine can run netns labs at all.
func Available() error {
	b := &backend{capEff: capEff}
	return b.available()
}
