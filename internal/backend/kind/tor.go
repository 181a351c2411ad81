package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

// Container names of a lab's TOR and client (kind's own node names end in
// -control-plane, -worker and -external-load-balancer).
func torName(labName string) string    { return labName + "-tor" }
func clientName(labName string) string { return labName + "-client" }

// frrLogFile is inside the TOR container; FRR's daemons run as the frr user,
// who can write /tmp in the image.
const frrLogFile = "/tmp/frr.log"

// torFiles are frr.conf (the netns backend's template, listening on the
// kind network's subnets), the daemons file and vtysh.conf. The router ID
// cannot be the TOR's address: Docker assigns it once the container runs,
// and frr.conf must be in place before.
func torFiles(t *topology.Topology, subnets []netip.Prefix) ([]file, error) {
	conf, err := frr.Render(frr.Config{
		Lab: t.Name, Hostname: "tor", LogFile: frrLogFile,
		ASN: t.TOR.ASN, NodeASN: t.Controller.ASN, RouterID: t.RouterID(), ListenRanges: subnets,
		MaximumPaths: t.TOR.MaximumPaths, KeepaliveTime: t.TOR.KeepaliveTime, HoldTime: t.TOR.HoldTime,
		BFD: frr.BFDOf(t.TOR.BFD),
	})
	if err != nil {
		return nil, err
	}
	return []file{
		{Path: "/etc/frr/frr.conf", Mode: 0o644, Data: conf},
		{Path: "/etc/frr/daemons", Mode: 0o644, Data: daemonsFile()},
		{Path: "/etc/frr/vtysh.conf", Mode: 0o644, Data: []byte("service integrated-vtysh-config\n")},
	}, nil
}

// daemonsFile enables the daemons the netns TOR runs (frr.Daemons); the
// image's watchfrr starts what it lists.
func daemonsFile() []byte {
	var b bytes.Buffer
	b.WriteString("# written by lblab: the TOR's FRR daemons\n")
	for _, d := range frr.Daemons {
		if d != "zebra" { // watchfrr always starts zebra
			fmt.Fprintf(&b, "%s=yes\n", d)
		}
	}
	b.WriteString("vtysh_enable=yes\n")
	for _, d := range frr.Daemons {
		fmt.Fprintf(&b, "%s_options=\"-A 127.0.0.1\"\n", d)
	}
	return b.Bytes()
}

func torSpec(labName, network string) containerSpec {
	return containerSpec{
		Name: torName(labName), Image: frrImage, Network: network,
		Labels: map[string]string{labelLab: labName, labelRole: string(lab.RoleTOR)},
		// zebra installs routes; bgpd binds :179.
		CapAdd: []string{"NET_ADMIN", "NET_RAW", "SYS_ADMIN"},
		Sysctls: map[string]string{
			"net.ipv4.ip_forward":                  "1",
			"net.ipv6.conf.all.forwarding":         "1",
			"net.ipv6.conf.all.disable_ipv6":       "0",
			"net.ipv4.conf.all.send_redirects":     "0",
			"net.ipv4.conf.default.send_redirects": "0",
		},
		// IPv4 sends redirects when all or the interface says so.
		EndpointSysctls: []string{"net.ipv4.conf.IFNAME.send_redirects=0"},
	}
}

// clientSpec is a host outside the cluster. It shares the kind network
// with the nodes but reaches the pools through the TOR, and ignores ICMP
// redirects so that it keeps doing so.
func clientSpec(labName, network string) containerSpec {
	return containerSpec{
		Name: clientName(labName), Image: clientImage, Network: network,
		// The image's entrypoint is curl; the client just stays up.
		Entrypoint: []string{"/bin/sh", "-c"},
		Cmd:        []string{"trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"},
		Labels:     map[string]string{labelLab: labName, labelRole: string(lab.RoleClient)},
		CapAdd:     []string{"NET_ADMIN", "NET_RAW"},
		Sysctls: map[string]string{
			"net.ipv6.conf.all.disable_ipv6":         "0",
			"net.ipv4.conf.all.accept_redirects":     "0",
			"net.ipv4.conf.default.accept_redirects": "0",
			"net.ipv6.conf.all.accept_redirects":     "0",
			"net.ipv6.conf.default.accept_redirects": "0",
		},
		// A host that does not forward accepts redirects when all or the
		// interface says so; Linux routers send IPv6 redirects regardless.
		EndpointSysctls: []string{"net.ipv4.conf.IFNAME.accept_redirects=0", "net.ipv6.conf.IFNAME.accept_redirects=0"},
	}
}

// ensureContainer creates and starts a container unless one with its name
// runs already; files are copied in before it starts. It returns the
// container's addresses on the network.
func (b *backend) ensureContainer(ctx context.Context, l *lab.Lab, s containerSpec, files []file) ([]netip.Addr, error) {
	d := b.docker
	switch info, err := d.Inspect(ctx, s.Name, s.Network); {
	case errors.Is(err, errNoContainer):
		l.Changed("created container %s", s.Name)
	case err != nil:
		return nil, err
	default:
		if info.Running && info.Image == s.Image && sameFiles(ctx, d, s.Name, files) {
			return info.Addrs, nil
		}
		l.Changed("recreated container %s (stopped, or its image or configuration changed)", s.Name)
		if err := d.RemoveContainer(ctx, s.Name); err != nil {
			return nil, err
		}
	}
	if err := d.PullImage(ctx, s.Image); err != nil {
		return nil, err
	}
	if _, err := d.CreateContainer(ctx, s); err != nil {
		return nil, err
	}
	if len(files) > 0 {
		if err := d.CopyFiles(ctx, s.Name, files); err != nil {
			return nil, err
		}
	}
	if err := d.StartContainer(ctx, s.Name); err != nil {
		return nil, err
	}
	info, err := d.Inspect(ctx, s.Name, s.Network)
	if err != nil {
		return nil, err
	}
	return info.Addrs, nil
}

// sameFiles reports whether a running container holds these files.
func sameFiles(ctx context.Context, d dockerAPI, ctr string, files []file) bool {
	for _, f := range files {
		res, err := d.Exec(ctx, ctr, []string{"cat", f.Path}, nil)
		if err != nil || res.ExitCode != 0 || !bytes.Equal(res.Stdout, f.Data) {
			return false
		}
	}
	return true
}

// startTOR runs FRR in the TOR container and waits until bgpd answers.
func (b *backend) startTOR(ctx context.Context, l *lab.Lab, subnets []netip.Prefix) (addrs []netip.Addr, err error) {
	step := l.Log.Start("Starting FRR on tor")
	defer func() { step.End(err == nil) }()
	files, err := torFiles(l.Topology, subnets)
	if err != nil {
		return nil, err
	}
	addrs, err = b.ensureContainer(ctx, l, torSpec(l.Name, b.network), files)
	if err != nil {
		return nil, err
	}
	return addrs, b.waitVtysh(ctx, torName(l.Name), vtyshTimeout)
}

// vtyshTimeout bounds the wait for bgpd to answer in a new TOR.
const vtyshTimeout = 20 * time.Second

// waitVtysh polls until bgpd answers vtysh in ctr; at the deadline it
// says what vtysh printed last and shows the container's last log lines.
func (b *backend) waitVtysh(ctx context.Context, ctr string, timeout time.Duration) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		res, err := b.docker.Exec(ctx, ctr, []string{"vtysh", "-c", "show bgp summary json"}, nil)
		if err == nil && res.ExitCode != 0 {
			last = strings.TrimSpace(string(res.Stderr) + string(res.Stdout))
		}
		return err == nil && res.ExitCode == 0, nil
	})
	if err != nil {
		logs, _ := b.docker.Logs(context.WithoutCancel(ctx), ctr)
		return fmt.Errorf("bgpd in %s did not answer vtysh within %s (%s); last container logs:\n%s", ctr, timeout, last, tail(logs, 15))
	}
	return nil
}

// startClient runs the client and routes the pools through the TOR.
func (b *backend) startClient(ctx context.Context, l *lab.Lab, tor []netip.Addr) (err error) {
	step := l.Log.Start("Starting client")
	defer func() { step.End(err == nil) }()
	if _, err := b.ensureContainer(ctx, l, clientSpec(l.Name, b.network), nil); err != nil {
		return err
	}
	for _, argv := range clientRoutes(l.Topology, tor) {
		res, err := b.docker.Exec(ctx, clientName(l.Name), argv, nil)
		if err != nil {
			return err
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("failed to add a route on the client: %s: %s", strings.Join(argv, " "), strings.TrimSpace(string(res.Stderr)))
		}
	}
	return nil
}

// clientRoutes are the `ip route replace` commands that send the pools'
// traffic from the client to the TOR.
func clientRoutes(t *topology.Topology, tor []netip.Addr) [][]string {
	var out [][]string
	seen := map[netip.Prefix]bool{}
	for _, p := range t.Controller.Pools {
		for _, a := range p.Addresses {
			r, err := netaddr.ParseRange(a)
			if err != nil {
				continue
			}
			pfx := covering(r)
			if seen[pfx] {
				continue
			}
			for _, via := range tor {
				if via.Is6() == pfx.Addr().Is6() {
					seen[pfx] = true
					// -f, not -4/-6: the client's ip is busybox's.
					fam := "inet"
					if via.Is6() {
						fam = "inet6"
					}
					out = append(out, []string{"ip", "-f", fam, "route", "replace", pfx.String(), "via", via.String()})
				}
			}
		}
	}
	return out
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
