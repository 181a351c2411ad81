package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/status"
	"github.com/lblab/lblab/internal/topology"
)

// failingBackend provisions half a lab (a key, a kubeconfig with a client
// key, a log) and fails; Delete records whether the bundle was already
// written.
type failingBackend struct {
	lab.Backend
	bundle          string
	bundleAtDelete  bool
	deleted, logged bool
}

func (b *failingBackend) Name() string                          { return "fake" }
func (b *failingBackend) Check(context.Context, *lab.Lab) error { return nil }
func (b *failingBackend) Provision(_ context.Context, l *lab.Lab) error {
	for name, data := range map[string]string{
		"pki/ca.key": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n",
		"kubeconfig": "users:\n- user:\n    client-key-data: a2V5\n", "logs/tor.log": "bgpd started\n"} {
		if err := lab.WriteFileAtomic(l.Path(name), []byte(data), 0o600); err != nil {
			return err
		}
	}
	return errors.New("the TOR did not answer")
}
func (b *failingBackend) Nodes(context.Context, string) ([]lab.Node, error) {
	rec := &run.Recorder{}
	rec.Respond("vtysh -c 'show running-config'", "router bgp 64496\n")
	return []lab.Node{{Name: "tor", Role: lab.RoleTOR, Runner: rec}}, nil
}
func (b *failingBackend) Logs(_ context.Context, _, dir string) error {
	b.logged = true
	return os.WriteFile(filepath.Join(dir, "lab1-tor.log"), []byte("watchfrr: bgpd failed\n"), 0o644)
}
func (b *failingBackend) Delete(context.Context, string) error {
	_, err := os.Stat(filepath.Join(b.bundle, "up-error.txt"))
	b.bundleAtDelete, b.deleted = err == nil, true
	return nil
}

// A failed up writes the diagnostics bundle before it deletes the lab:
// the error, the backend's logs, the hosts, and the state without keys.
func TestUpFailureBundle(t *testing.T) {
	t.Setenv(lab.EnvStateDir, t.TempDir())
	t.Setenv(lab.EnvRunDir, t.TempDir())
	topo, err := topology.Load("bgp-ecmp")
	if err != nil {
		t.Fatal(err)
	}
	topo.Name = "lab1"
	var stderr bytes.Buffer
	g := &globals{stdout: &bytes.Buffer{}, stderr: &stderr}
	b := &failingBackend{bundle: filepath.Join(t.TempDir(), "bundle")}
	l := lab.New(topo, lab.Options{OnFailure: upFailureBundle(g, b, b.bundle)}, status.Discard())
	if _, err := lab.Up(context.Background(), b, l); err == nil {
		t.Fatal("up succeeded")
	}
	if !b.deleted || !b.bundleAtDelete {
		t.Fatalf("deleted=%v, bundle written before the delete=%v", b.deleted, b.bundleAtDelete)
	}
	for file, want := range map[string]string{
		"up-error.txt":                 "the TOR did not answer",
		"logs/lab1-tor.log":            "bgpd failed",
		"hosts/tor/running-config.txt": "router bgp 64496",
		"state/logs/tor.log":           "bgpd started",
		"state/omitted.txt":            "pki/ca.key: a key",
	} {
		data, err := os.ReadFile(filepath.Join(b.bundle, file))
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s: %q %v, want %q", file, data, err, want)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(b.bundle, "state", "kubeconfig")); strings.Contains(string(data), "client-key-data") {
		t.Errorf("the bundle's kubeconfig holds its client key:\n%s", data)
	}
	if !strings.Contains(stderr.String(), "Diagnostics bundle: "+b.bundle) {
		t.Errorf("stderr = %q, want the bundle's path", stderr.String())
	}
}

// An interrupted up writes no bundle.
func TestUpFailureBundleInterrupted(t *testing.T) {
	t.Setenv(lab.EnvStateDir, t.TempDir())
	topo, err := topology.Load("bgp-ecmp")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "bundle")
	g := &globals{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	upFailureBundle(g, &failingBackend{}, dir)(context.Background(), lab.New(topo, lab.Options{}, nil), context.Canceled)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("an interrupted up wrote a bundle: %v", err)
	}
}
