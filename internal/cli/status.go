package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/observe"
	"github.com/lblab/lblab/internal/table"
)

type statusFlags struct {
	name   string
	output string
}

// labStatus is `lblab status -o json`.
type labStatus struct {
	Name       string       `json:"name"`
	Backend    string       `json:"backend"`
	Phase      lab.Phase    `json:"phase"`
	Dataplane  string       `json:"dataplane"`
	Controller string       `json:"controller"`
	Kubeconfig string       `json:"kubeconfig,omitempty"`
	Hosts      []hostStatus `json:"hosts"`
	BGP        bgpStatus    `json:"bgp"`
	// Processes are the lab's supervised processes (netns backend).
	Processes []lab.Process `json:"processes,omitempty"`
	// ProcessesError says why they could not be read.
	ProcessesError string `json:"processesError,omitempty"`
}

type hostStatus struct {
	Name string   `json:"name"`
	Role lab.Role `json:"role"`
	// Kernel is "uml" for a user-mode Linux guest.
	Kernel      string `json:"kernel,omitempty"`
	NoDataplane bool   `json:"noDataplane,omitempty"`
	IPv4        string `json:"ipv4,omitempty"`
	IPv6        string `json:"ipv6,omitempty"`
}

type bgpStatus struct {
	ASN       uint32     `json:"asn,omitempty"`
	RouterID  string     `json:"routerID,omitempty"`
	Listening []string   `json:"listening"`
	Peers     []frr.Peer `json:"peers"`
	Error     string     `json:"error,omitempty"`
}

func newStatusCommand(g *globals) *cobra.Command {
	f := &statusFlags{}
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show a lab's hosts, addresses and the TOR's BGP state",
		Example: "  lblab status\n  lblab status --name lab2 -o json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runStatus(cmd.Context(), g, f) },
	}
	cmd.Flags().StringVar(&f.name, "name", "", "lab name (default: the only lab)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "table", "table or json")
	return cmd
}

func runStatus(ctx context.Context, g *globals, f *statusFlags) error {
	if f.output != "table" && f.output != "json" {
		return fmt.Errorf("-o %q: want table or json", f.output)
	}
	name, err := resolveName(f.name, "")
	if err != nil {
		return err
	}
	st, b, err := existingLab(name)
	if err != nil {
		return err
	}
	nodes, err := b.Nodes(ctx, name)
	if err != nil {
		return err
	}
	s := labStatus{Name: name, Backend: st.Backend, Phase: st.Phase, Dataplane: string(st.Dataplane),
		Controller: controllers.Describe(st.Controller)}
	if t, err := lab.LoadTopology(name); err == nil && t.Controller.Type == st.Controller {
		s.Controller = controllers.DescribeLab(t)
	}
	if !st.FabricOnly {
		s.Kubeconfig = lab.Kubeconfig(name)
	}
	for _, n := range nodes {
		h := hostStatus{Name: n.Name, Role: n.Role, Kernel: n.Kernel, NoDataplane: n.NoDataplane}
		if a, ok := n.Addr(false); ok {
			h.IPv4 = a.String()
		}
		if a, ok := n.Addr(true); ok {
			h.IPv6 = a.String()
		}
		s.Hosts = append(s.Hosts, h)
		if n.Role == lab.RoleTOR {
			s.BGP = torBGP(ctx, n)
		}
	}
	if s.BGP.ASN == 0 { // FRR reports its AS only once it has peers
		if t, err := lab.LoadTopology(name); err == nil {
			s.BGP.ASN = t.TOR.ASN
		}
	}
	if pb, ok := b.(lab.ProcessBackend); ok {
		if s.Processes, err = pb.Processes(ctx, name); err != nil {
			s.ProcessesError = err.Error()
		}
	}
	if f.output == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	fmt.Fprintf(g.stdout, "Lab %s: %s (backend %s, dataplane %s, controller %s)\n\n", s.Name, s.Phase, s.Backend, s.Dataplane, s.Controller)
	printNodeTable(g.stdout, nodes)
	fmt.Fprintln(g.stdout)
	printBGP(g.stdout, s.BGP)
	printProcesses(g.stdout, s.Processes, s.ProcessesError)
	if s.Kubeconfig != "" {
		fmt.Fprintf(g.stdout, "\nexport KUBECONFIG=%s\n", s.Kubeconfig)
	}
	return nil
}

// torBGP asks the TOR's FRR for its sessions and its listening sockets.
func torBGP(ctx context.Context, tor lab.Node) bgpStatus {
	var s bgpStatus
	out, err := tor.Command(ctx, "ss", "-Hltn", "sport = :179")
	if err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if fields := strings.Fields(line); len(fields) >= 4 {
				s.Listening = append(s.Listening, fields[3])
			}
		}
	}
	sum, _, err := observe.TORSummary(ctx, tor)
	if err != nil {
		s.Error = err.Error()
		return s
	}
	for _, af := range sum {
		s.ASN, s.RouterID = af.AS, af.RouterID
	}
	s.Peers = sum.Peers()
	return s
}

func printBGP(w io.Writer, s bgpStatus) {
	listen := "not listening"
	if len(s.Listening) > 0 {
		listen = "listening on " + strings.Join(s.Listening, ", ")
	}
	if s.Error != "" {
		fmt.Fprintf(w, "TOR BGP: %s; vtysh failed: %s\n", listen, s.Error)
		return
	}
	established := 0
	for _, p := range s.Peers {
		if p.State == "Established" {
			established++
		}
	}
	fmt.Fprintf(w, "TOR BGP: AS %d, %s, %d/%d peers established\n", s.ASN, listen, established, len(s.Peers))
	if len(s.Peers) > 0 {
		printPeers(w, s.Peers)
	}
}

// printPeers is the TOR's BGP sessions as a table (status, inspect bgp).
func printPeers(w io.Writer, peers []frr.Peer) {
	rows := make([][]string, 0, len(peers))
	for _, p := range peers {
		rows = append(rows, []string{p.Address, fmt.Sprint(p.RemoteAS), p.State, strings.Join(p.Families, ",")})
	}
	_ = table.Write(w, []string{"PEER", "AS", "STATE", "FAMILIES"}, rows)
}

// printProcesses lists the supervised processes, restarts and how each
// last ended, as `kubectl get pods` shows restarts.
func printProcesses(w io.Writer, ps []lab.Process, readErr string) {
	if readErr != "" {
		fmt.Fprintf(w, "\nProcesses: %s\n", readErr)
	}
	if len(ps) == 0 {
		return
	}
	fmt.Fprintln(w)
	rows := make([][]string, 0, len(ps))
	for _, p := range ps {
		pid, age := "-", "-"
		if p.PID > 0 {
			pid = strconv.Itoa(p.PID)
		}
		if !p.Since.IsZero() {
			age = time.Since(p.Since).Round(time.Second).String()
		}
		last := p.LastExit
		if last == "" {
			last = "-"
		}
		rows = append(rows, []string{p.Host, p.Name, p.State, pid, age, strconv.Itoa(p.Restarts), last})
	}
	_ = table.Write(w, []string{"HOST", "PROCESS", "STATE", "PID", "FOR", "RESTARTS", "LAST EXIT"}, rows)
}

func printNodeTable(w io.Writer, nodes []lab.Node) {
	rows := make([][]string, 0, len(nodes))
	for _, n := range nodes {
		v4, v6 := "-", "-"
		if a, ok := n.Addr(false); ok {
			v4 = a.String()
		}
		if a, ok := n.Addr(true); ok {
			v6 = a.String()
		}
		kernel := "host"
		if n.Kernel != "" {
			kernel = n.Kernel
		}
		if n.NoDataplane {
			kernel += " (no data plane)"
		}
		rows = append(rows, []string{n.Name, string(n.Role), kernel, v4, v6})
	}
	_ = table.Write(w, []string{"HOST", "ROLE", "KERNEL", "IPV4", "IPV6"}, rows)
}
