package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/internal/lab"
)

func newKubeconfigCommand(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "kubeconfig [--name LAB]",
		Short: "Print the path of the lab's admin kubeconfig",
		Long: `Print the path of the lab's admin kubeconfig (user kubernetes-admin, group
kubeadm:cluster-admins, bound to cluster-admin), for KUBECONFIG or --kubeconfig.`,
		Example: `  export KUBECONFIG=$(lblab kubeconfig)
  kubectl --kubeconfig "$(lblab kubeconfig --name lab2)" get nodes`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			path, err := labKubeconfig(name)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(g.stdout, path)
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "lab name (default: the only lab)")
	return cmd
}

// labKubeconfig returns an existing lab's admin kubeconfig path.
func labKubeconfig(name string) (string, error) {
	name, err := resolveName(name, "")
	if err != nil {
		return "", err
	}
	st, _, err := existingLab(name)
	if err != nil {
		return "", err
	}
	path := lab.Kubeconfig(name)
	if _, err := os.Stat(path); err != nil {
		if st.FabricOnly {
			return "", &exitError{code: 2, err: fmt.Errorf("lab %q was brought up with --fabric-only and has no Kubernetes; run `lblab up --name %s` to add it", name, name)}
		}
		if errors.Is(err, os.ErrNotExist) {
			return "", &exitError{code: 2, err: fmt.Errorf("lab %q has no kubeconfig yet (its phase is %s); run `lblab up --name %s`", name, st.Phase, name)}
		}
		return "", err
	}
	return path, nil
}
