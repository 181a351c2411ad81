package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/k8s/components"
)

func newKubectlCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubectl [--name LAB] [--] ARGS...",
		Short: "Run the lab's kubectl against the lab",
		Long: fmt.Sprintf(`Run kubectl at the lab's Kubernetes version (%s) with the lab's admin
kubeconfig. Everything after the lab flags goes to kubectl unchanged.

The binary is lblab's pinned build, %s
(or the one from --k8s-bin-dir when the lab was brought up with it); any
kubectl of the same minor version works with the kubeconfig that
`+"`lblab kubeconfig`"+` prints.`, components.KubernetesVersion, filepath.Join(components.BinDir(), components.Kubectl)),
		Example: `  lblab kubectl get nodes -o wide
  lblab kubectl --name lab2 -- create deployment web --image=nginx
  lblab kubectl -- expose deployment web --port=80 --type=LoadBalancer`,
		// kubectl's own flags (-n, -o, ...) must reach it untouched.
		DisableFlagParsing:    true,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			name, rest, help := kubectlArgs(args)
			if help {
				return cmd.Help()
			}
			return runKubectl(cmd.Context(), g, name, rest)
		},
	}
	return cmd
}

// kubectlArgs splits lblab's leading flags (--name, -h) from kubectl's
// arguments. A "--" ends lblab's flags.
func kubectlArgs(args []string) (name string, rest []string, help bool) {
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--":
			return name, args[1:], false
		case a == "--name" && len(args) > 1:
			name, args = args[1], args[2:]
		case strings.HasPrefix(a, "--name="):
			name, args = strings.TrimPrefix(a, "--name="), args[1:]
		case (a == "-h" || a == "--help") && name == "":
			return "", nil, true
		default:
			return name, args, false
		}
	}
	return name, nil, false
}

func runKubectl(ctx context.Context, g *globals, name string, args []string) error {
	kubeconfig, err := labKubeconfig(name)
	if err != nil {
		return err
	}
	bin, err := labKubectl(ctx, g, filepath.Dir(kubeconfig))
	if err != nil {
		return err
	}
	// The lab's API server is on a lab address that no proxy reaches.
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "KUBECONFIG="+kubeconfig)
	argv := append([]string{"kubectl"}, args...)
	if err := syscall.Exec(bin, argv, env); err != nil {
		return fmt.Errorf("failed to run %s: %w", bin, err)
	}
	return nil
}

// labKubectl is the kubectl the lab was brought up with (netns labs link
// it into their state dir), else lblab's pinned build, built if needed.
func labKubectl(ctx context.Context, g *globals, stateDir string) (string, error) {
	link := filepath.Join(stateDir, "bin", components.Kubectl)
	if target, err := filepath.EvalSymlinks(link); err == nil {
		return target, nil
	}
	bins, err := components.Resolve(ctx, components.Options{BinDir: os.Getenv("LBLAB_K8S_BIN_DIR"), Log: g.logger()}, components.Kubectl)
	if err != nil {
		return "", err
	}
	return bins.Path(components.Kubectl), nil
}
