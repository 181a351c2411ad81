package pki

import (
	"crypto/x509"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func dualSpec(t *testing.T) Spec {
	dir := t.TempDir()
	return Spec{
		Dir: filepath.Join(dir, "pki"), KubeconfigDir: filepath.Join(dir, "kubeconfigs"),
		AdminKubeconfig: filepath.Join(dir, "kubeconfig"), ClusterName: "lblab-k8s-test", AdminContext: "lblab-k8s-test",
		APIServerNames:  []string{"control-plane"},
		APIServerIPs:    addrs("10.89.0.10", "fd00:89::10"),
		ServicePrefixes: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/16"), netip.MustParsePrefix("fd00:10:96::/112")},
		LocalServer:     "https://127.0.0.1:6443", Server: "https://10.89.0.10:6443",
		Nodes: []string{"control-plane", "node1"},
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCert(data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func verify(t *testing.T, ca, c *x509.Certificate, usage x509.ExtKeyUsage) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		t.Errorf("%s does not chain to the lab CA: %v", c.Subject.CommonName, err)
	}
}

func TestAPIServerCert(t *testing.T) {
	s := dualSpec(t)
	f, _, err := Ensure(s)
	if err != nil {
		t.Fatal(err)
	}
	ca := readCert(t, f.CACert)
	if !ca.IsCA || ca.Subject.CommonName != "lblab-k8s-test" {
		t.Errorf("CA: IsCA=%v CN=%q", ca.IsCA, ca.Subject.CommonName)
	}
	c := readCert(t, f.APIServerCert)
	verify(t, ca, c, x509.ExtKeyUsageServerAuth)
	wantDNS := []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost", "control-plane"}
	if !slices.Equal(c.DNSNames, wantDNS) {
		t.Errorf("DNS SANs = %v, want %v", c.DNSNames, wantDNS)
	}
	wantIPs := addrs("10.89.0.10", "fd00:89::10", "10.96.0.1", "fd00:10:96::1", "127.0.0.1", "::1")
	if got := CertIPs(c); !slices.Equal(got, wantIPs) {
		t.Errorf("IP SANs = %v, want %v", got, wantIPs)
	}
	for _, ip := range []string{"10.89.0.10", "fd00:89::10", "10.96.0.1", "::1"} {
		if err := c.VerifyHostname(ip); err != nil {
			t.Errorf("serving cert not valid for %s: %v", ip, err)
		}
	}
	if err := c.VerifyHostname("kubernetes.default.svc.cluster.local"); err != nil {
		t.Error(err)
	}
	kc := readCert(t, f.KubeletClientCert)
	verify(t, ca, kc, x509.ExtKeyUsageClientAuth)
	if kc.Subject.CommonName != "kube-apiserver-kubelet-client" {
		t.Errorf("kubelet client CN = %q", kc.Subject.CommonName)
	}
	fp := readCert(t, f.FrontProxyClientCert)
	verify(t, readCert(t, f.FrontProxyCACert), fp, x509.ExtKeyUsageClientAuth)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := fp.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("the front-proxy client must not chain to the cluster CA")
	}
	if fp.Subject.CommonName != "front-proxy-client" {
		t.Errorf("front-proxy client CN = %q", fp.Subject.CommonName)
	}
	for _, key := range []string{f.CAKey, f.FrontProxyCAKey, f.APIServerKey, f.SAKey, f.Admin, f.Nodes["node1"]} {
		fi, err := os.Stat(key)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s must be 0600: %v %v", key, fi.Mode(), err)
		}
	}
}

func TestKubeconfigIdentities(t *testing.T) {
	s := dualSpec(t)
	f, _, err := Ensure(s)
	if err != nil {
		t.Fatal(err)
	}
	ca := readCert(t, f.CACert)
	tests := []struct {
		path, server, cn string
		orgs             []string
	}{
		{f.SuperAdmin, s.Server, "kubernetes-super-admin", []string{"system:masters"}},
		{f.Admin, s.Server, "kubernetes-admin", []string{"kubeadm:cluster-admins"}},
		{f.ControllerManager, s.LocalServer, "system:kube-controller-manager", nil},
		{f.Scheduler, s.LocalServer, "system:kube-scheduler", nil},
		{f.KubeProxy, s.Server, "system:kube-proxy", nil},
		{f.Nodes["control-plane"], s.Server, "system:node:control-plane", []string{"system:nodes"}},
		{f.Nodes["node1"], s.Server, "system:node:node1", []string{"system:nodes"}},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			cfg, err := LoadKubeconfig(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			ctx := cfg.Contexts[cfg.CurrentContext]
			cl := cfg.Clusters[ctx.Cluster]
			if cl.Server != tc.server || !samePEM(cl.CertificateAuthorityData, mustRead(t, f.CACert)) {
				t.Errorf("server %q, want %q; or CA differs", cl.Server, tc.server)
			}
			c, err := ParseCert(cfg.AuthInfos[ctx.AuthInfo].ClientCertificateData)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, ca, c, x509.ExtKeyUsageClientAuth)
			if c.Subject.CommonName != tc.cn || !slices.Equal(c.Subject.Organization, tc.orgs) {
				t.Errorf("identity CN=%q O=%v, want CN=%q O=%v", c.Subject.CommonName, c.Subject.Organization, tc.cn, tc.orgs)
			}
			if len(c.IPAddresses)+len(c.DNSNames) != 0 {
				t.Error("client certificates carry no SANs")
			}
		})
	}
	cfg, _ := LoadKubeconfig(f.Admin)
	if cfg.CurrentContext != "lblab-k8s-test" {
		t.Errorf("admin context = %q", cfg.CurrentContext)
	}
}

func mustRead(t *testing.T, p string) []byte {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestServiceAccountKeyPair(t *testing.T) {
	f, _, err := Ensure(dualSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseKey(mustRead(t, f.SAKey))
	if err != nil {
		t.Fatal(err)
	}
	if !samePEM(mustRead(t, f.SAPub), mustPubPEM(key)) {
		t.Error("sa.pub is not sa.key's public key")
	}
}

// A second Ensure keeps everything; a changed address renews only the
// serving certificate; a new node only adds its kubeconfig.
func TestEnsureConverges(t *testing.T) {
	s := dualSpec(t)
	f, changes, err := Ensure(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 3 { // CAs and SA key; first-time leaves are not "changes"
		t.Errorf("first Ensure changes = %v", changes)
	}
	snapshot := func() map[string]string {
		m := map[string]string{}
		for _, p := range []string{f.CACert, f.APIServerCert, f.SAKey, f.Admin, f.KubeProxy, f.Nodes["node1"]} {
			m[p] = string(mustRead(t, p))
		}
		return m
	}
	before := snapshot()
	if _, changes, err = Ensure(s); err != nil || len(changes) != 0 {
		t.Fatalf("second Ensure: %v, %v", changes, err)
	}
	after := snapshot()
	for p := range before {
		if before[p] != after[p] {
			t.Errorf("%s rewritten by an idempotent Ensure", p)
		}
	}
	s.APIServerIPs = addrs("10.89.0.11", "fd00:89::10")
	s.Nodes = append(s.Nodes, "node2")
	f2, changes, err := Ensure(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || !strings.Contains(changes[0].Message, "serving certificate") ||
		!strings.Contains(changes[0].Message, "IP SANs") || !changes[0].Replaced || changes[0].Path != f.APIServerCert {
		t.Errorf("changes = %v", changes)
	}
	if string(mustRead(t, f.CACert)) != before[f.CACert] || string(mustRead(t, f.Admin)) != before[f.Admin] {
		t.Error("the CA and kubeconfigs must survive an address change")
	}
	if _, err := os.Stat(f2.Nodes["node2"]); err != nil {
		t.Error("node2 has no kubeconfig")
	}
	s.Server = "https://10.89.0.11:6443"
	// Components beside the apiserver use loopback and keep theirs.
	if _, changes, _ = Ensure(s); len(changes) != 6 {
		t.Errorf("a server move rewrites super-admin, admin, kube-proxy and 3 node kubeconfigs; changes = %v", changes)
	}
	cfg, _ := LoadKubeconfig(f.Admin)
	if cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster].Server != s.Server {
		t.Error("admin kubeconfig not moved to the new server")
	}
}

func TestCheckRejects(t *testing.T) {
	ca, err := newCA("a")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newCA("b")
	spec := LeafSpec{Identity: Node("node1")}
	cert, key, err := other.Sign(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.Check(cert, key, spec); err == nil {
		t.Error("a certificate of another CA must be rejected")
	}
	cert, key, _ = ca.Sign(spec)
	if err := ca.Check(cert, key, spec); err != nil {
		t.Errorf("own certificate rejected: %v", err)
	}
	if err := ca.Check(cert, key, LeafSpec{Identity: Node("node2")}); err == nil || !strings.Contains(err.Error(), "identity") {
		t.Errorf("wrong identity accepted: %v", err)
	}
	_, key2, _ := ca.Sign(spec)
	if err := ca.Check(cert, key2, spec); err == nil {
		t.Error("a key of another certificate must be rejected")
	}
	c, _ := ParseCert(cert)
	if time.Until(c.NotAfter) < 364*24*time.Hour {
		t.Errorf("leaf expires %v", c.NotAfter)
	}
}
