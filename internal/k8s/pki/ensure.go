package pki

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"

	"github.com/lblab/lblab/internal/netaddr"
)

// Spec describes a lab cluster's PKI.
type Spec struct {
	// Dir holds certificates and keys; KubeconfigDir the component
	// kubeconfigs.
	Dir, KubeconfigDir string
	// AdminKubeconfig is the user's kubeconfig path.
	AdminKubeconfig string
	// ClusterName names the cluster (CA subject, kubeconfig cluster name).
	ClusterName string
	// AdminContext names the admin kubeconfig's context.
	AdminContext string
	// APIServerNames are extra DNS SANs (the control-plane node names).
	APIServerNames []string
	// APIServerIPs are the control-plane node IPs, all families.
	APIServerIPs []netip.Addr
	// ServicePrefixes are the Service CIDRs; the first IP of each is a SAN.
	ServicePrefixes []netip.Prefix
	// LocalServer is the API URL for components beside the kube-apiserver
	// (loopback); Server is the URL for nodes and the host.
	LocalServer, Server string
	// Nodes are the node names; each gets a node-agent kubeconfig.
	Nodes []string
}

// Files are the paths Ensure wrote.
type Files struct {
	CACert, CAKey                       string
	APIServerCert, APIServerKey         string
	KubeletClientCert, KubeletClientKey string
	SAKey, SAPub                        string
	// The front-proxy (request header) CA and the apiserver's client
	// certificate towards aggregated API servers.
	FrontProxyCACert, FrontProxyCAKey         string
	FrontProxyClientCert, FrontProxyClientKey string
	// Kubeconfigs.
	SuperAdmin, Admin, ControllerManager, Scheduler, KubeProxy string
	Nodes                                                      map[string]string
}

func (s Spec) files() Files {
	d, k := s.Dir, s.KubeconfigDir
	f := Files{
		CACert: filepath.Join(d, "ca.crt"), CAKey: filepath.Join(d, "ca.key"),
		APIServerCert: filepath.Join(d, "apiserver.crt"), APIServerKey: filepath.Join(d, "apiserver.key"),
		KubeletClientCert: filepath.Join(d, "apiserver-kubelet-client.crt"), KubeletClientKey: filepath.Join(d, "apiserver-kubelet-client.key"),
		SAKey: filepath.Join(d, "sa.key"), SAPub: filepath.Join(d, "sa.pub"),
		FrontProxyCACert: filepath.Join(d, "front-proxy-ca.crt"), FrontProxyCAKey: filepath.Join(d, "front-proxy-ca.key"),
		FrontProxyClientCert: filepath.Join(d, "front-proxy-client.crt"), FrontProxyClientKey: filepath.Join(d, "front-proxy-client.key"),
		SuperAdmin: filepath.Join(k, "super-admin.conf"), Admin: s.AdminKubeconfig,
		ControllerManager: filepath.Join(k, "controller-manager.conf"), Scheduler: filepath.Join(k, "scheduler.conf"),
		KubeProxy: filepath.Join(k, "kube-proxy.conf"), Nodes: map[string]string{},
	}
	for _, n := range s.Nodes {
		f.Nodes[n] = filepath.Join(k, "node-"+n+".conf")
	}
	return f
}

// APIServerSANs returns the serving certificate's DNS names and IPs.
func (s Spec) APIServerSANs() ([]string, []netip.Addr) {
	dns := []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"}
	dns = append(dns, s.APIServerNames...)
	ips := slices.Clone(s.APIServerIPs)
	for _, p := range s.ServicePrefixes {
		if a, ok := netaddr.Nth(p, 1); ok {
			ips = append(ips, a)
		}
	}
	ips = append(ips, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1"))
	return dns, ips
}

// Change is one file that Ensure created or replaced.
type Change struct {
	Path string
	// Message says what and why, for `up`'s list of changes.
	Message string
	// Replaced is true when an existing file was replaced, so the
	// components using it must be restarted.
	Replaced bool
}

// Ensure creates or completes the cluster's PKI and returns its files and
// what it changed.
func Ensure(s Spec) (Files, []Change, error) {
	f := s.files()
	var changes []Change
	ca, made, err := ensureCA(f.CACert, f.CAKey, s.ClusterName)
	if err != nil {
		return f, nil, err
	}
	if made {
		changes = append(changes, Change{Path: f.CACert, Message: "created the cluster CA"})
	}
	fpCA, made, err := ensureCA(f.FrontProxyCACert, f.FrontProxyCAKey, s.ClusterName+"-front-proxy")
	if err != nil {
		return f, nil, err
	}
	if made {
		changes = append(changes, Change{Path: f.FrontProxyCACert, Message: "created the front-proxy CA"})
	}
	dns, ips := s.APIServerSANs()
	leaves := []struct {
		what, cert, key string
		ca              *CA
		spec            LeafSpec
	}{
		{"kube-apiserver serving certificate", f.APIServerCert, f.APIServerKey, ca,
			LeafSpec{Identity: Identity{CommonName: "kube-apiserver"}, Server: true, DNSNames: dns, IPs: ips}},
		{"kube-apiserver kubelet client certificate", f.KubeletClientCert, f.KubeletClientKey, ca, LeafSpec{Identity: KubeletClient}},
		{"front-proxy client certificate", f.FrontProxyClientCert, f.FrontProxyClientKey, fpCA, LeafSpec{Identity: FrontProxyClient}},
	}
	for _, l := range leaves {
		c, k := readPair(l.cert, l.key)
		reason := l.ca.Check(c, k, l.spec)
		if reason == nil {
			continue
		}
		cert, key, err := l.ca.Sign(l.spec)
		if err != nil {
			return f, nil, err
		}
		if err := writeFile(l.key, key, 0o600); err != nil {
			return f, nil, err
		}
		if err := writeFile(l.cert, cert, 0o644); err != nil {
			return f, nil, err
		}
		if c != nil {
			changes = append(changes, Change{Path: l.cert, Message: fmt.Sprintf("renewed the %s (%v)", l.what, reason), Replaced: true})
		}
	}
	if made, err := ensureSAKey(f.SAKey, f.SAPub); err != nil {
		return f, nil, err
	} else if made {
		changes = append(changes, Change{Path: f.SAKey, Message: "created the ServiceAccount signing key"})
	}
	kcs := []KubeconfigSpec{
		{Path: f.SuperAdmin, Server: s.Server, Identity: SuperAdmin},
		{Path: f.Admin, Server: s.Server, Identity: Admin, Context: s.AdminContext},
		{Path: f.ControllerManager, Server: s.LocalServer, Identity: ControllerManager},
		{Path: f.Scheduler, Server: s.LocalServer, Identity: Scheduler},
		{Path: f.KubeProxy, Server: s.Server, Identity: KubeProxy},
	}
	for _, n := range s.Nodes {
		kcs = append(kcs, KubeconfigSpec{Path: f.Nodes[n], Server: s.Server, Identity: Node(n)})
	}
	for _, kc := range kcs {
		kc.Cluster = s.ClusterName
		_, statErr := os.Stat(kc.Path)
		wrote, err := ca.EnsureKubeconfig(kc)
		if err != nil {
			return f, nil, err
		}
		if wrote && statErr == nil {
			changes = append(changes, Change{Path: kc.Path, Message: "rewrote " + filepath.Base(kc.Path), Replaced: true})
		}
	}
	return f, changes, nil
}

func readPair(cert, key string) ([]byte, []byte) {
	c, err := os.ReadFile(cert)
	if err != nil {
		return nil, nil
	}
	k, _ := os.ReadFile(key)
	return c, k
}

// ensureCA loads the CA, or creates it when there is none.
func ensureCA(certPath, keyPath, name string) (*CA, bool, error) {
	if _, err := os.Stat(certPath); err == nil {
		ca, err := LoadCA(certPath, keyPath)
		if err != nil {
			return nil, false, fmt.Errorf("the lab CA in %s is unusable (%v); `lblab down` the lab and bring it up again", filepath.Dir(certPath), err)
		}
		return ca, false, nil
	}
	ca, err := newCA(name)
	if err != nil {
		return nil, false, err
	}
	kp, err := keyPEM(ca.Key)
	if err != nil {
		return nil, false, err
	}
	if err := writeFile(keyPath, kp, 0o600); err != nil {
		return nil, false, err
	}
	if err := writeFile(certPath, ca.CertPEM, 0o644); err != nil {
		return nil, false, err
	}
	return ca, true, nil
}

// LoadCA reads a CA written by Ensure.
func LoadCA(certPath, keyPath string) (*CA, error) {
	c, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	k, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	cert, err := ParseCert(c)
	if err != nil {
		return nil, err
	}
	key, err := ParseKey(k)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA || !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, errors.New("not a CA, or the key does not match")
	}
	return &CA{Cert: cert, Key: key, CertPEM: c}, nil
}

// ensureSAKey makes the ServiceAccount token signing key pair.
func ensureSAKey(keyPath, pubPath string) (bool, error) {
	if k, err := os.ReadFile(keyPath); err == nil {
		if key, err := ParseKey(k); err == nil {
			if p, err := os.ReadFile(pubPath); err == nil && samePEM(p, mustPubPEM(key)) {
				return false, nil
			}
		}
	}
	key, err := newKey()
	if err != nil {
		return false, err
	}
	kp, err := keyPEM(key)
	if err != nil {
		return false, err
	}
	if err := writeFile(keyPath, kp, 0o600); err != nil {
		return false, err
	}
	return true, writeFile(pubPath, mustPubPEM(key), 0o644)
}

func mustPubPEM(k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		panic(err) // a P-256 key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
