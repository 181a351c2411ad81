package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/lblab/lblab/internal/lab"
)

// Delete removes the lab's TOR and client containers (found by their
// dev.lblab.lab label), its kind cluster with every node (and so the
// controller image imported into them), and its runtime directory. It needs
// only the lab's name, so it also cleans up after a failed or killed `up`.
// Deleting an absent lab succeeds.
func (b *backend) Delete(ctx context.Context, name string) error {
	d, err := b.api()
	if err != nil {
		return err
	}
	ctrs, err := d.List(ctx, map[string]string{labelLab: name})
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range ctrs {
		if err := d.RemoveContainer(ctx, c.Name); err != nil {
			errs = append(errs, err)
		}
	}
	clusters, err := b.clusters().List()
	if err != nil {
		errs = append(errs, fmt.Errorf("failed to list kind clusters: %w", err))
	} else if slices.Contains(clusters, name) {
		if err := b.clusters().Delete(name, lab.Kubeconfig(name)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(lab.RunDir(name)); err != nil {
		errs = append(errs, fmt.Errorf("failed to remove %s: %w", lab.RunDir(name), err))
	}
	return errors.Join(errs...)
}

// List returns the kind labs with state, and those whose containers exist
// without state (left by an interrupted run).
func (b *backend) List(ctx context.Context) ([]lab.Summary, error) {
	var leftovers []string
	// Without Docker (no client, or no daemon answering) there are no
	// containers to find: the states are all there is.
	if d, err := b.api(); err == nil {
		ctrs, err := d.List(ctx, map[string]string{labelLab: ""})
		if err != nil && !errors.Is(err, errNoDocker) {
			return nil, err
		}
		for _, c := range ctrs {
			leftovers = append(leftovers, c.Labels[labelLab])
		}
	}
	return lab.Summaries(b.Name(), leftovers)
}
