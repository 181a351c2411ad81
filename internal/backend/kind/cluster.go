package kind

import (
	"fmt"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	kindlog "sigs.k8s.io/kind/pkg/log"

	"github.com/lblab/lblab/internal/status"
)

// clusterAPI is what the backend asks of kind. The real one is kind's
// library (sigs.k8s.io/kind/pkg/cluster) with the docker provider; unit
// tests record the calls.
type clusterAPI interface {
	// Create makes the cluster and writes its kubeconfig to kubeconfig.
	Create(name string, cfg *v1alpha4.Cluster, kubeconfig string, log *status.Logger) error
	// Delete removes the cluster's nodes; deleting an absent cluster succeeds.
	Delete(name, kubeconfig string) error
	// List returns the names of every kind cluster on the daemon.
	List() ([]string, error)
	// CollectLogs exports the cluster's logs into dir (`kind export logs`).
	CollectLogs(name, dir string) error
}

type kindProvider struct{}

func newKindProvider() clusterAPI { return kindProvider{} }

func (kindProvider) provider(log *status.Logger) *cluster.Provider {
	return cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindLogger{log}))
}

func (p kindProvider) Create(name string, cfg *v1alpha4.Cluster, kubeconfig string, log *status.Logger) error {
	err := p.provider(log).Create(name,
		cluster.CreateWithV1Alpha4Config(cfg),
		cluster.CreateWithKubeconfigPath(kubeconfig),
		// kind's wait covers only control-plane nodes and does not fail on
		// timeout: lblab waits itself (wait.go).
		cluster.CreateWithWaitForReady(0),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	)
	if err != nil {
		return fmt.Errorf("failed to create kind cluster %s: %w", name, err)
	}
	return nil
}

func (p kindProvider) Delete(name, kubeconfig string) error {
	if err := p.provider(nil).Delete(name, kubeconfig); err != nil {
		return fmt.Errorf("failed to delete kind cluster %s: %w", name, err)
	}
	return nil
}

func (p kindProvider) List() ([]string, error) { return p.provider(nil).List() }

func (p kindProvider) CollectLogs(name, dir string) error {
	return p.provider(nil).CollectLogs(name, dir)
}

// kindLogger sends kind's own progress to lblab's log at -v.
type kindLogger struct{ l *status.Logger }

func (k kindLogger) Warn(msg string) {
	if k.l != nil {
		k.l.Warnf("kind: %s", msg)
	}
}
func (k kindLogger) Warnf(f string, a ...any) { k.Warn(fmt.Sprintf(f, a...)) }
func (k kindLogger) Error(msg string)         { k.Warn(msg) }
func (k kindLogger) Errorf(f string, a ...any) {
	k.Warn(fmt.Sprintf(f, a...))
}
func (k kindLogger) V(v kindlog.Level) kindlog.InfoLogger { return kindInfo{l: k.l, v: int(v) + 1} }

type kindInfo struct {
	l *status.Logger
	v int
}

func (k kindInfo) Info(msg string) {
	if k.l != nil {
		k.l.Debugf(k.v, "   kind: %s", msg)
	}
}
func (k kindInfo) Infof(f string, a ...any) { k.Info(fmt.Sprintf(f, a...)) }
func (k kindInfo) Enabled() bool            { return k.l != nil }
