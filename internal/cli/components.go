package cli

import (
	"context"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/table"
)

type componentsFlags struct {
	binDir string
	cilium bool
}

func newComponentsCommand(g *globals) *cobra.Command {
	f := &componentsFlags{}
	cmd := &cobra.Command{
		Use:   "components",
		Short: "Build (when missing) and list the pinned Kubernetes components of netns labs",
		Long: `components resolves kube-apiserver, kube-controller-manager, kube-scheduler,
kube-proxy, kubectl (` + components.KubernetesVersion + `) and etcd (` + components.EtcdVersion + `) the way the first
lblab up does: from --k8s-bin-dir when given, else from the cache, building
what is missing from the Go module proxy (minutes on a cold machine). Run it
ahead of time, e.g. in CI or before going offline. With --cilium it also
builds Cilium ` + components.CiliumVersion + ` (cilium-agent, cilium-dbg, cilium-cni), which the ebpf data
plane runs on netns nodes: about 12 more minutes on a cold two-core machine.`,
		Example: "  lblab components\n  lblab components --cilium\n  lblab components --k8s-bin-dir ./kubernetes/server/bin",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runComponents(cmd.Context(), g, f)
		},
	}
	cmd.Flags().BoolVar(&f.cilium, "cilium", false, "also build Cilium for --dataplane ebpf (needs clang-19 installed)")
	cmd.Flags().StringVar(&f.binDir, "k8s-bin-dir", os.Getenv("LBLAB_K8S_BIN_DIR"), "directory of prebuilt Kubernetes binaries (env LBLAB_K8S_BIN_DIR)")
	return cmd
}

func runComponents(ctx context.Context, g *globals, f *componentsFlags) error {
	bins, err := components.Resolve(ctx, components.Options{BinDir: f.binDir, Log: g.logger()})
	if err != nil {
		return err
	}
	if f.cilium {
		c, err := components.ResolveCilium(ctx, components.Options{Log: g.logger()})
		if err != nil {
			return err
		}
		for n, p := range c.Binaries {
			bins[n] = p
		}
	}
	names := make([]string, 0, len(bins))
	for n := range bins {
		names = append(names, n)
	}
	sort.Strings(names)
	rows := make([][]string, 0, len(names))
	for _, n := range names {
		rows = append(rows, []string{n, bins[n]})
	}
	return table.Write(g.stdout, []string{"COMPONENT", "PATH"}, rows)
}
