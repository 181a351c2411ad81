package netns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/internal/uml"
)

// A guest's memory. Its RSS on the machine is what the guest has touched
// of it, plus a few MiB of the kernel binary and its host processes.
const guestMem = "320M"

// guestBootTimeout bounds a guest's boot to an answering SSH server; one
// boots in about 3 s on an idle machine.
const guestBootTimeout = 90 * time.Second

// guestModules are what a guest loads: what kube-proxy needs in its
// iptables and ipvs modes (legacy x_tables, conntrack, NAT, IPVS and its
// ipsets), veth for the pods, and overlay for the root. The tables of a
// family the lab does not use stay out: kube-proxy then runs one proxier,
// not two, which halves its work on the guest's one CPU.
func guestModules(fam topology.IPFamily) []string {
	m := []string{
		"overlay", "veth", "dummy",
		"nf_conntrack", "nf_conntrack_netlink", "nf_nat",
		"xt_addrtype", "xt_comment", "xt_conntrack", "xt_mark", "xt_MASQUERADE", "xt_multiport",
		"xt_nat", "xt_physdev", "xt_statistic", "xt_tcpudp",
		"ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "xt_ipvs",
		"xt_set", "ip_set_hash_ip", "ip_set_hash_ipport", "ip_set_hash_ipportip", "ip_set_hash_ipportnet",
		"ip_set_hash_net", "ip_set_bitmap_port",
	}
	if fam.HasV4() {
		m = append(m, "ip_tables", "iptable_filter", "iptable_nat", "iptable_mangle", "ipt_REJECT")
	}
	if fam.HasV6() {
		m = append(m, "ip6_tables", "ip6table_filter", "ip6table_nat", "ip6table_mangle", "ip6t_REJECT")
	}
	return m
}

// guestEnv is every guest process's environment. UML 6.1 switches the
// FPU state of a guest's threads as far as AVX (the first 832 bytes of
// the XSAVE area); AVX-512 state stays with the host process that runs
// them (see internal/uml/csrc/fpregs.c), so Go and glibc are told not to
// use AVX-512.
var guestEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"GODEBUG=cpu.avx512f=off,cpu.avx512bw=off,cpu.avx512vl=off,cpu.avx512cd=off,cpu.avx512dq=off",
	"GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD",
}

func (y k8sLayout) guestConfig(node string) string {
	return filepath.Join(y.state, "guests", node+".json")
}

// kernelDaemon is a guest's kernel, run by the lab's supervisor in the
// fabric namespace, where its tap is: a guest that dies boots again. The
// shim (uml.EnsureShim) keeps its guests' FPU state whole on hosts with
// AVX-512 or AMX.
func kernelDaemon(l *lab.Lab, p *plan, k uml.Kernel, self, shim string, h host) daemon {
	y := newK8sLayout(l.Name)
	mac := uml.MAC(l.Name, h.name)
	boot := uml.Boot{Kernel: k, Mem: guestMem, UMID: h.name, Dir: filepath.Join(y.run, "uml"),
		Tap: h.port, MAC: mac.String(), Init: self, InitArgs: []string{"guest-init"},
		Env: append(slices.Clone(guestEnv), uml.ConfigEnv+"="+y.guestConfig(h.name))}
	return daemon{name: h.name + "'s kernel", file: h.name + "-uml", ns: p.fabricNS,
		argv: boot.Argv(), env: []string{"LD_PRELOAD=" + shim}}
}

// guestConfig is what a guest's init reads.
func guestConfig(l *lab.Lab, k uml.Kernel, self string, h host) uml.Guest {
	y := newK8sLayout(l.Name)
	keys := sshDir(l.Name)
	return uml.Guest{
		Lab: l.Name, Node: h.name, Addrs: h.addrs, Gateways: h.gws,
		ModulesDir: k.ModulesDir, Modules: guestModules(l.Topology.Network.IPFamily), ModuleParams: map[string]string{"dummy": "numdummies=0"},
		Sysctls: hostSysctls(h), StateDir: y.state, LegacyIPTables: true, Env: guestEnv,
		SSHPort: 22, SSHHostKey: filepath.Join(keys, uml.HostKeyFile), SSHAuthorizedKey: filepath.Join(keys, uml.ClientKeyFile+".pub"),
		Units: y.guestUnits(h.name), Supervisor: guestSupervisor,
		HostFiles: shadowed(self),
	}
}

// shadowed returns the lblab binary when a guest's own /tmp, /run or /dev
// would hide it (a test binary, or one built into /tmp): the guest binds
// it at the same path, so every node runs lblab from the same path.
func shadowed(self string) []string {
	for _, top := range []string{"/tmp/", "/run/", "/dev/"} {
		if strings.HasPrefix(self, top) {
			return []string{self}
		}
	}
	return nil
}

// bootGuests has the lab's supervisor boot every guest that does not run,
// and reboot those whose configuration changed. It does not wait.
func bootGuests(ctx context.Context, l *lab.Lab, p *plan, ps *procs) ([]daemon, error) {
	if len(p.guests()) == 0 {
		return nil, nil
	}
	k, err := uml.Find("")
	if err != nil {
		return nil, err
	}
	self, err := selfBinary()
	if err != nil {
		return nil, err
	}
	shim, err := uml.EnsureShim(filepath.Join(components.CacheRoot(), "uml"), "")
	if err != nil {
		return nil, err
	}
	if err := uml.EnsureKeys(sshDir(l.Name)); err != nil {
		return nil, fmt.Errorf("failed to make the lab's SSH keys: %w", err)
	}
	var ds []daemon
	for _, h := range p.guests() {
		d := kernelDaemon(l, p, k, self, shim, h)
		data, err := json.MarshalIndent(guestConfig(l, k, self, h), "", "  ")
		if err != nil {
			return nil, err
		}
		path := ps.y.guestConfig(h.name)
		if old, err := os.ReadFile(path); err == nil && !bytes.Equal(old, data) {
			d.stale = "its configuration changed"
		}
		if err := lab.WriteFileAtomic(path, data, 0o644); err != nil {
			return nil, err
		}
		if _, err := ps.ensure(ctx, l, d); err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// waitGuests waits until every guest answers over SSH, failing at once
// with the end of its console log when its kernel exits.
func waitGuests(ctx context.Context, l *lab.Lab, p *plan, ps *procs, kernels []daemon) (err error) {
	if len(kernels) == 0 {
		return nil
	}
	step := l.Log.Start(fmt.Sprintf("Booting %d user-mode Linux guests", len(kernels)))
	defer func() { step.End(err == nil) }()
	for i, h := range p.guests() {
		r := guestRunner(l.Name, h)
		err := ps.waitUntil(ctx, "waiting for "+h.name+" to boot", guestBootTimeout, kernels[i:i+1],
			func(ctx context.Context) error {
				_, err := r.Run(ctx, run.Cmd{Name: "true"})
				return err
			})
		if err != nil {
			return err
		}
	}
	return nil
}
