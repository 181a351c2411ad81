package pki

import (
	"fmt"
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeconfigSpec describes a kubeconfig with an embedded client
// certificate.
type KubeconfigSpec struct {
	Path     string
	Cluster  string // cluster name in the file
	Context  string // context name; default "<CN>@<cluster>"
	Server   string // https://host:port
	Identity Identity
}

func (s KubeconfigSpec) context() string {
	if s.Context != "" {
		return s.Context
	}
	return s.Identity.CommonName + "@" + s.Cluster
}

// EnsureKubeconfig writes the kubeconfig unless the existing one already
// points at the server, trusts this CA and holds a valid certificate for
// the identity. It reports whether it wrote the file.
func (ca *CA) EnsureKubeconfig(s KubeconfigSpec) (bool, error) {
	if cfg, err := clientcmd.LoadFromFile(s.Path); err == nil && ca.checkKubeconfig(cfg, s) == nil {
		return false, nil
	}
	cert, key, err := ca.Sign(LeafSpec{Identity: s.Identity})
	if err != nil {
		return false, err
	}
	cfg := clientcmdapi.NewConfig()
	user := s.Identity.CommonName
	cfg.Clusters[s.Cluster] = &clientcmdapi.Cluster{Server: s.Server, CertificateAuthorityData: ca.CertPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts[s.context()] = &clientcmdapi.Context{Cluster: s.Cluster, AuthInfo: user}
	cfg.CurrentContext = s.context()
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return false, fmt.Errorf("failed to encode %s: %w", s.Path, err)
	}
	if err := writeFile(s.Path, data, 0o600); err != nil {
		return false, fmt.Errorf("failed to write %s: %w", s.Path, err)
	}
	return true, nil
}

// checkKubeconfig says why an existing kubeconfig does not match s.
func (ca *CA) checkKubeconfig(cfg *clientcmdapi.Config, s KubeconfigSpec) error {
	ctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok || cfg.CurrentContext != s.context() {
		return fmt.Errorf("current context is %q, want %q", cfg.CurrentContext, s.context())
	}
	cluster, ok := cfg.Clusters[ctx.Cluster]
	if !ok || ctx.Cluster != s.Cluster || cluster.Server != s.Server || !samePEM(cluster.CertificateAuthorityData, ca.CertPEM) {
		return fmt.Errorf("cluster or server differs")
	}
	user, ok := cfg.AuthInfos[ctx.AuthInfo]
	if !ok {
		return fmt.Errorf("no user %q", ctx.AuthInfo)
	}
	return ca.Check(user.ClientCertificateData, user.ClientKeyData, LeafSpec{Identity: s.Identity})
}

// LoadKubeconfig reads a kubeconfig file (for tests and callers that need
// its parts).
func LoadKubeconfig(path string) (*clientcmdapi.Config, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return clientcmd.LoadFromFile(path)
}
