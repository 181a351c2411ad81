package openelb

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// CertDir is where OpenELB's webhook server (controller-runtime v0.6's
// default) reads tls.crt and tls.key, under the process's TMPDIR.
const CertDir = "k8s-webhook-server/serving-certs"

// WebhookCert writes a self-signed certificate for the manager's webhook
// server into tmp's CertDir, unless one is there. OpenELB v0.5.0 starts
// its webhook server unconditionally and exits without a certificate;
// upstream mounts one a Job makes. Nothing calls the webhook here.
func WebhookCert(tmp string) error {
	dir := filepath.Join(tmp, CertDir)
	crt, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if _, err := os.Stat(crt); err == nil {
		if _, err := os.Stat(key); err == nil {
			return nil
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:   pkix.Name{CommonName: "openelb-admission." + Namespace + ".svc"},
		DNSNames:  []string{"openelb-admission", "openelb-admission." + Namespace + ".svc"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return fmt.Errorf("failed to make OpenELB's webhook certificate: %w", err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return err
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
