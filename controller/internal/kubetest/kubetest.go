package kubetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/proc"
	"github.com/lblab/lblab/internal/testutil"
)

// EnvBinDir names a directory with kube-apiserver and etcd.
const EnvBinDir = "LBLAB_K8S_BIN_DIR"

// Server is a running etcd + kube-apiserver.
type Server struct {
	// Config is an admin (system:masters) client config.
	Config *rest.Config
	// Dir holds the data, certificates and logs.
	Dir string
	// CAData is the apiserver's serving CA (self-signed certificate).
	CAData []byte

	etcdPID, apiPID int
}

// binaries returns kube-apiserver and etcd: from LBLAB_K8S_BIN_DIR, else
// lblab's component cache, building them when missing (minutes, once).
func binaries() (apiserver, etcd string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	bins, err := components.Resolve(ctx, components.Options{BinDir: os.Getenv(EnvBinDir)}, components.APIServer, components.Etcd)
	if err != nil {
		return "", "", err
	}
	return bins.Path(components.APIServer), bins.Path(components.Etcd), nil
}

// Start starts etcd and kube-apiserver for the test and stops them at its
// end. It is an integration test helper: it skips under -short.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs etcd and kube-apiserver; skipped with -short")
	}
	apiserver, etcd, err := binaries()
	if err != nil {
		if os.Getenv(testutil.EnvIntegration) == "1" {
			t.Fatal(err)
		}
		t.Skipf("no kube-apiserver and etcd: %v (set %s to a directory holding them)", err, EnvBinDir)
	}
	s, err := start(apiserver, etcd, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func start(apiserver, etcd, dir string) (s *Server, err error) {
	s = &Server{Dir: dir}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	s.etcdPID, err = proc.Start(proc.Spec{Name: "etcd", LogFile: filepath.Join(dir, "etcd.log"), PIDFile: filepath.Join(dir, "etcd.pid"),
		Argv: []string{etcd, "--name=default", "--data-dir=" + filepath.Join(dir, "etcd"),
			"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
			"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=default=" + peerURL, "--unsafe-no-fsync", "--log-level=warn"}})
	if err != nil {
		return nil, err
	}
	keyFile := filepath.Join(dir, "sa.key")
	if err := writeKey(keyFile); err != nil {
		return nil, err
	}
	token := "admin-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	tokenFile := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(token+",admin,admin,system:masters\n"), 0o600); err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")
	s.apiPID, err = proc.Start(proc.Spec{Name: "kube-apiserver", LogFile: filepath.Join(dir, "kube-apiserver.log"),
		PIDFile: filepath.Join(dir, "kube-apiserver.pid"),
		Argv: []string{apiserver, "--etcd-servers=" + etcdURL,
			"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(ports[2]),
			"--cert-dir=" + certDir, "--token-auth-file=" + tokenFile, "--authorization-mode=RBAC",
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + keyFile, "--service-account-signing-key-file=" + keyFile,
			"--service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112",
			"--enable-priority-and-fairness=false", "--endpoint-reconciler-type=none", "--v=1"}})
	if err != nil {
		return nil, err
	}
	host := "https://127.0.0.1:" + strconv.Itoa(ports[2])
	if err := s.waitReady(host, token, certDir); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(host, token, certDir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var last error
	for ctx.Err() == nil {
		ca, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
		if err == nil {
			s.CAData = ca
			s.Config = &rest.Config{Host: host, BearerToken: token, QPS: -1,
				TLSClientConfig: rest.TLSClientConfig{CAData: ca}}
			var cs *kubernetes.Clientset
			if cs, err = kubernetes.NewForConfig(s.Config); err == nil {
				var body []byte
				body, err = cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
				if err == nil && string(body) == "ok" {
					return nil
				}
			}
		}
		last = err
		if syscall.Kill(s.apiPID, 0) != nil {
			return fmt.Errorf("kube-apiserver exited:\n%s", proc.Tail(filepath.Join(s.Dir, "kube-apiserver.log"), 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready after 90s (%v):\n%s", last, proc.Tail(filepath.Join(s.Dir, "kube-apiserver.log"), 20))
}

// Stop kills the apiserver and etcd.
func (s *Server) Stop() {
	var pids []int
	for _, p := range []int{s.apiPID, s.etcdPID} {
		if p > 0 {
			pids = append(pids, p)
		}
	}
	_ = proc.Kill(pids, 3*time.Second)
	s.apiPID, s.etcdPID = 0, 0
}

// Client returns an admin clientset.
func (s *Server) Client(t testing.TB) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func writeKey(path string) error {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

func freePorts(n int) ([]int, error) {
	var out []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}
