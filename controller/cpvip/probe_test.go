package cpvip

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsServer starts an HTTPS server with handler on addr ("127.0.0.1" or
// "::1") and returns it with the path of a file holding its CA.
func tlsServer(t *testing.T, addr string, handler http.HandlerFunc) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatalf("failed to listen on %s: %v", addr, err)
	}
	srv.Listener.Close()
	srv.Listener = l
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.crt")
	err = os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

// TestProbe: 200 is ready; any other status, a hung server, a refused
// connection or a certificate from another CA is not, with the reason.
func TestProbe(t *testing.T) {
	const timeout = 300 * time.Millisecond
	hung := make(chan struct{})
	t.Cleanup(func() { close(hung) })
	tests := []struct {
		name    string
		addr    string
		handler http.HandlerFunc
		ca      string // "other": a CA that did not sign the server's certificate
		closed  bool   // the server is gone: connection refused
		ready   bool
		reason  string
	}{
		{name: "200", addr: "127.0.0.1", handler: status(200, "ok"), ready: true, reason: "HTTP 200"},
		{name: "200 on ::1", addr: "::1", handler: status(200, "ok"), ready: true, reason: "HTTP 200"},
		{name: "500 with the failed check", addr: "127.0.0.1",
			handler: status(500, "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\nreadyz check failed\n"),
			reason:  "HTTP 500: [-]etcd failed: reason withheld"},
		{name: "500 on ::1", addr: "::1", handler: status(500, "[-]shutdown failed: reason withheld\n"),
			reason: "HTTP 500: [-]shutdown failed: reason withheld"},
		{name: "503 with a plain body", addr: "127.0.0.1", handler: status(503, "\nnot yet\nlater"), reason: "HTTP 503: not yet"},
		{name: "401 without a body", addr: "127.0.0.1", handler: status(401, ""), reason: "HTTP 401"},
		{name: "hung handler", addr: "127.0.0.1", handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-hung:
			}
		}, reason: "no answer within 300ms"},
		{name: "refused", addr: "127.0.0.1", handler: status(200, "ok"), closed: true, reason: "connection refused"},
		{name: "another CA", addr: "127.0.0.1", handler: status(200, "ok"), ca: "other", reason: "certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ca := tlsServer(t, tt.addr, tt.handler)
			if tt.ca == "other" {
				ca = otherCA(t)
			}
			if tt.closed {
				srv.Close()
			}
			p, err := newProber(srv.URL+"/readyz", ca, timeout)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			r := p.probe(context.Background())
			if took := time.Since(start); took > timeout+time.Second {
				t.Errorf("the probe took %s, more than its timeout %s", took, timeout)
			}
			if r.Ready != tt.ready || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("probe = %+v, want ready %v with a reason containing %q", r, tt.ready, tt.reason)
			}
		})
	}
}

// otherCA writes a fresh self-signed CA to a file: httptest servers all
// share one certificate.
func otherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "other-ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return ca
}

func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		w.Write([]byte(body))
	}
}

func TestNewProberCA(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ ca, want string }{
		{filepath.Join(dir, "missing.crt"), "--ca: failed to read the CA"},
		{notPEM, "--ca " + notPEM + " holds no PEM certificate"},
	}
	for _, tt := range tests {
		if _, err := newProber("https://127.0.0.1:6443/readyz", tt.ca, time.Second); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CA %s: error %v, want %q", tt.ca, err, tt.want)
		}
	}
}
