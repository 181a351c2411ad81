package diag

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

const (
	testKey = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAs3cr3t\n-----END RSA PRIVATE KEY-----\n"
	testCrt = "-----BEGIN CERTIFICATE-----\nMIIC5zCCAc+gAwIBAgIBADAN\n-----END CERTIFICATE-----\n"
	testJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlLWJ5dGVz"
)

// secrets are what no bundle may hold.
var secrets = []string{"PRIVATE KEY", "client-key-data", "token:", "MIIEowIBAAKCAQEAs3cr3t", testJWT}

// writeTree makes files (path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// A bundle of a lab whose state holds keys, kubeconfigs with client keys
// and tokens, and etcd's data, whose logs and commands print a key and a
// token, holds none of them, and still holds what is not secret.
func TestBundleHasNoKeys(t *testing.T) {
	state := t.TempDir()
	writeTree(t, state, map[string]string{
		"state.json":                        `{"name":"lab1","backend":"kind"}`,
		"kubeconfig":                        "apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\nusers:\n- name: admin\n  user:\n    client-certificate-data: Y2VydA==\n    client-key-data: a2V5\n",
		"kubeconfigs/controller.kubeconfig": "users:\n- name: controller\n  user:\n    token: " + testJWT + "\n",
		"pki/ca.crt":                        testCrt,
		"pki/ca.key":                        testKey,
		"pki/sa.pem":                        testKey,
		"pki/admin-bundle.txt":              testCrt + testKey,
		"etcd/member/snap/db":               "secret data " + testKey,
		"images/lblab.tar":                  "an image",
		"logs/kube-apiserver.log":           "I0101 started\nE0101 bad request with Authorization " + testJWT + "\n" + testKey,
		"config/node1-kube-proxy.yaml":      "mode: iptables\n",
	})
	rec := &run.Recorder{}
	rec.Respond("ip route show", "default via 10.0.0.1\n  token: abc\n")
	dir := t.TempDir()
	c := Collector{State: state, Hosts: []lab.Node{{Name: "client", Role: lab.RoleClient, Runner: rec}},
		Logs: func(_ context.Context, d string) error {
			return os.WriteFile(filepath.Join(d, "kind-node.log"), []byte("containerd: loaded\n"+testKey+`{"token":"abc","user":"x"}`+"\n"), 0o644)
		}}
	if err := c.Write(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Errorf("%s holds %q:\n%s", path, s, data)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"state/state.json":                        `"backend":"kind"`,
		"state/kubeconfig":                        "client-certificate-data: Y2VydA==",
		"state/pki/ca.crt":                        "BEGIN CERTIFICATE",
		"state/logs/kube-apiserver.log":           "I0101 started",
		"state/config/node1-kube-proxy.yaml":      "mode: iptables",
		"state/omitted.txt":                       "pki/ca.key: a key",
		"logs/kind-node.log":                      "containerd: loaded",
		"hosts/client/ip-route.txt":               "default via 10.0.0.1",
		"state/kubeconfigs/controller.kubeconfig": "credential was removed",
	} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s: %q %v, want %q", file, data, err, want)
		}
	}
	for _, gone := range []string{"state/pki/ca.key", "state/pki/sa.pem", "state/pki/admin-bundle.txt", "state/etcd", "state/images"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s is in the bundle (%v)", gone, err)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"pem key", "a\n" + testKey + "b\n", "a\n[lblab: a key was removed from the bundle]\nb\n"},
		{"cut-short key", "a\n-----BEGIN EC PRIVATE KEY-----\nMHcC", "a\n[lblab: a key was removed from the bundle]"},
		{"certificate stays", testCrt, testCrt},
		{"kubeconfig client key", "  user:\n    client-key-data: a2V5\n", "  user:\n    # lblab: a credential was removed from the bundle\n"},
		{"token and id-token", "- token: x\nid-token: y\n", "- # lblab: a credential was removed from the bundle\n# lblab: a credential was removed from the bundle\n"},
		{"json", `{"token": "x", "n": 1}`, `{"lblab-removed":"a credential was removed from the bundle", "n": 1}`},
		{"jwt", "auth " + testJWT + " ok", "auth [lblab: a JWT was removed from the bundle] ok"},
		{"a word is not a key", "tokens: 3\nkeys left\n", "tokens: 3\nkeys left\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(Redact([]byte(tt.in))); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
