package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/observe"
	"github.com/lblab/lblab/scenarios"
)

type inspectFlags struct {
	name    string
	node    string
	service string
	output  string
}

// inspectView is one `lblab inspect` view.
type inspectView struct {
	use, short string
	run        func(ctx context.Context, iv *inspection) error
}

// inspection is what every view works on.
type inspection struct {
	g        *globals
	f        *inspectFlags
	env      *scenarios.LiveEnv
	nodes    []lab.Node              // Kubernetes nodes (--node narrows)
	services []scenarios.ServiceInfo // LB Services (--service narrows)
	failed   bool
}

func newInspectCommand(g *globals) *cobra.Command {
	f := &inspectFlags{}
	cmd := &cobra.Command{
		Use:   "inspect ipt|ipv|nft|bpf|bgp|routes|lb",
		Short: "Show how a LoadBalancer IP is handled: TOR routes, BGP, and each node's data plane",
		Long: `inspect reads the real tools inside the lab (iptables-save, nft -j, IPVS and
ipset, cilium-dbg, vtysh, GoBGP's API, ip -j route) and prints typed views,
limited to the LoadBalancer Services of the topology (or --service).`,
		Example: `  lblab inspect ipt --service default/web
  lblab inspect nft --node node1 -o json
  lblab inspect bgp
  lblab inspect routes
  lblab inspect lb --name external-lb`,
	}
	cmd.PersistentFlags().StringVar(&f.name, "name", "", "lab name (default: the only lab)")
	cmd.PersistentFlags().StringVar(&f.node, "node", "", "only this node")
	cmd.PersistentFlags().StringVar(&f.service, "service", "", "only this Service (NAMESPACE/NAME)")
	cmd.PersistentFlags().StringVarP(&f.output, "output", "o", "table", "table, json or raw (the tools' own output, as lblab read it)")
	views := []inspectView{
		{"ipt", "kube-proxy iptables chains for each LB IP:port, with packet counters", inspectIPT},
		{"ipv", "IPVS virtual and real servers with scheduler and counters, and the KUBE-LOAD-BALANCER ipset", inspectIPVS},
		{"nft", "kube-proxy nftables objects for each LB IP:port", inspectNFT},
		{"bpf", "Cilium's BPF load-balancing map for each LB IP:port (ebpf data plane)", inspectBPF},
		{"bgp", "the TOR's BGP sessions and routes, and each speaker's neighbours and advertised prefixes", inspectBGP},
		{"routes", "the TOR's kernel routes for LB IPs with their next hops", inspectRoutes},
		{"lb", "the external load balancer (externalLB labs): each LB IP:port's HAProxy backend, its NodeIP:NodePort servers and their health", inspectLB},
	}
	for _, v := range views {
		cmd.AddCommand(&cobra.Command{Use: v.use, Short: v.short, Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return runInspect(cmd.Context(), g, f, v) }})
	}
	return cmd
}

func runInspect(ctx context.Context, g *globals, f *inspectFlags, v inspectView) error {
	if !slices.Contains([]string{"table", "json", "raw"}, f.output) {
		return fmt.Errorf("-o %q: want table, json or raw", f.output)
	}
	name, err := resolveName(f.name, "")
	if err != nil {
		return err
	}
	env, _, _, err := openLab(ctx, name)
	if err != nil {
		return err
	}
	iv := &inspection{g: g, f: f, env: env}
	dataplane := slices.Contains([]string{"ipt", "ipv", "nft", "bpf"}, v.use)
	for _, h := range env.HostList {
		if !h.Role.IsKubernetes() || (f.node != "" && h.Name != f.node) {
			continue
		}
		if dataplane && h.NoDataplane && f.node == "" {
			fmt.Fprintf(g.stderr, "%s runs no data plane (its kernel lacks the lab's); --node %s reads it anyway\n", h.Name, h.Name)
			continue
		}
		iv.nodes = append(iv.nodes, h)
	}
	if f.node != "" && len(iv.nodes) == 0 {
		var names []string
		for _, h := range env.HostList {
			if h.Role.IsKubernetes() {
				names = append(names, h.Name)
			}
		}
		return fmt.Errorf("--node %q: lab %q has no such Kubernetes node (nodes: %v)", f.node, name, names)
	}
	if err := iv.loadServices(ctx); err != nil && v.use != "routes" && v.use != "bgp" && v.use != "ipv" {
		return err
	}
	if err := v.run(ctx, iv); err != nil {
		return err
	}
	if iv.failed {
		return &exitError{code: 1}
	}
	return nil
}

// loadServices reads --service, or the topology's LoadBalancer Services.
func (iv *inspection) loadServices(ctx context.Context) error {
	kc, err := iv.env.Kube()
	if err != nil {
		return err
	}
	if iv.f.service != "" {
		ns, n, ok := strings.Cut(iv.f.service, "/")
		if !ok {
			ns, n = "default", iv.f.service
		}
		si, err := scenarios.ReadService(ctx, kc, ns, n)
		if err != nil {
			return err
		}
		iv.services = []scenarios.ServiceInfo{si}
	} else {
		c, err := iv.env.Cluster(ctx)
		if err != nil {
			return err
		}
		iv.services = c.Services
	}
	for _, s := range iv.services {
		if len(s.LBIPs) == 0 {
			fmt.Fprintf(iv.g.stderr, "WARNING: Service %s has no external IP yet\n", s.Key())
		}
	}
	return nil
}

// each calls fn for every LB IP:port of the selected Services.
func (iv *inspection) each(fn func(s scenarios.ServiceInfo, ip netip.Addr, p scenarios.PortInfo)) {
	for _, s := range iv.services {
		for _, ip := range s.LBIPs {
			for _, p := range s.Ports {
				fn(s, ip, p)
			}
		}
	}
}

// show records one node's view of an LB IP:port for -o json and, for -o
// table, prints it under a heading: the error, or what print writes. An
// error marks the run failed.
func (iv *inspection) show(views *[]nodeView, node string, s scenarios.ServiceInfo, ip netip.Addr, p scenarios.PortInfo,
	view any, err error, print func(w io.Writer)) {
	v := nodeView{Node: node, Service: s.Key(), Target: p.Target(ip)}
	if err != nil {
		v.Error, iv.failed = err.Error(), true
	} else {
		v.View = view
	}
	*views = append(*views, v)
	if iv.f.output != "table" {
		return
	}
	heading(iv.g.stdout, "%s: %s %s", node, s.Key(), v.Target)
	if err != nil {
		fmt.Fprintf(iv.g.stdout, "  %v\n", err)
		return
	}
	print(iv.g.stdout)
}

// families reports which address families the selected Services use.
func (iv *inspection) families() (v4, v6 bool) {
	iv.each(func(_ scenarios.ServiceInfo, ip netip.Addr, _ scenarios.PortInfo) {
		v4, v6 = v4 || ip.Is4(), v6 || ip.Is6()
	})
	return v4, v6
}

// problem prints a per-node problem and marks the run failed.
func (iv *inspection) problem(node string, err error) {
	iv.failed = true
	fmt.Fprintf(iv.g.stderr, "%s: %v\n", node, err)
}

func (iv *inspection) json(v any) error {
	enc := json.NewEncoder(iv.g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// raws prints what the readers read, each under a "### host: command"
// line.
func (iv *inspection) raws(outs ...observe.Output) {
	for _, o := range outs {
		fmt.Fprintf(iv.g.stdout, "### %s\n", o.Header())
		_, _ = iv.g.stdout.Write(o.Data)
		if len(o.Data) > 0 && o.Data[len(o.Data)-1] != '\n' {
			fmt.Fprintln(iv.g.stdout)
		}
	}
}

func heading(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "\n== "+format+"\n", args...)
}

var errNoServices = errors.New("no LoadBalancer Service to inspect")
