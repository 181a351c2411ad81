package netns

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
)

// Delete removes every namespace (pods included), process, link and
// runtime file of the lab. It needs only the lab's name, so it also cleans
// up after an `up` that was killed halfway. Deleting an absent lab succeeds.
func (b *backend) Delete(ctx context.Context, name string) error {
	namespaces, err := b.labNamespaces(name)
	if err != nil {
		return err
	}
	if err := b.killAndDelete(ctx, name, namespaces); err != nil {
		return err
	}
	// An ebpf lab's pods ran in cgroups of their nodes.
	if err := removeLabCgroups(name); err != nil {
		return err
	}
	// The management veth dies with its fabric end; this catches a host end
	// whose fabric end was never made.
	link := hostLinkName(name)
	if b.linkExists(ctx, "", link) {
		// The kernel may still be tearing the fabric down and remove the
		// link between the check and the delete; only a link that stays is
		// an error.
		if err := b.ipBatch(ctx, "", []string{"link del " + link}); err != nil && b.linkExists(ctx, "", link) {
			return fmt.Errorf("failed to delete the management link %s: %w", link, err)
		}
	}
	if err := os.RemoveAll(lab.RunDir(name)); err != nil {
		return fmt.Errorf("failed to remove %s: %w", lab.RunDir(name), err)
	}
	// An up killed while building Kubernetes components left its build
	// directory in the shared cache.
	components.RemoveStaleBuilds()
	return nil
}

// List returns the labs with state on this backend, and those whose
// namespaces exist without state (left from an interrupted run).
func (b *backend) List(context.Context) ([]lab.Summary, error) {
	all, err := b.listNetns()
	if err != nil {
		return nil, err
	}
	var leftovers []string
	for _, ns := range all {
		if name, ok := strings.CutSuffix(ns, "_fabric"); ok {
			leftovers = append(leftovers, name)
		}
	}
	return lab.Summaries(b.Name(), leftovers)
}
