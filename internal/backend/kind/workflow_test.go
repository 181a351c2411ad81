package kind

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The kind workflow must stay valid, keep a failed up's bundle and never
// upload keys. actionlint (pinned as a tool in go.mod, built like the rest
// from the module cache) checks its syntax, expressions, matrix references
// and (where shellcheck is installed) its scripts. GOPROXY=off keeps the
// test off the network: once `go mod download` has run, it needs nothing
// else.
func TestWorkflowLint(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to run actionlint")
	}
	root := filepath.Join("..", "..", "..")
	wf := filepath.Join(".github", "workflows", "kind-e2e.yaml")
	data, err := os.ReadFile(filepath.Join(root, wf))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dataplane: [iptables, ipvs, nftables, ebpf]", "family: [ipv4, dual]",
		"- dataplane: ebpf\n            family: ipv6", "'bgp-ecmp-v6'",
		"--backend kind", "-o junit", "> junit.xml", "--bundle-dir", "upload-artifact", "lblab down", "UP_SECONDS", "VERIFY_SECONDS",
		"make integration-kind", `--bundle-dir "$GITHUB_WORKSPACE/diagnostics/up-bundle"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("%s does not contain %q", wf, want)
		}
	}
	// The raw state directory holds the admin kubeconfig's private key:
	// only lblab's bundles, which leave keys out, carry the state.
	if strings.Contains(string(data), "cp -r _state") {
		t.Errorf("%s uploads the raw state directory", wf)
	}
	cmd := exec.Command("go", "tool", "actionlint", "-no-color", wf)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.CombinedOutput()
	if err != nil {
		hint := ""
		if strings.Contains(string(out), "GOPROXY=off") {
			hint = "\n(actionlint's modules are not in the module cache: run `go mod download`, as `make unit` does)"
		}
		t.Fatalf("go tool actionlint %s: %v\n%s%s", wf, err, out, hint)
	}
}

// The kind lane has its own make target, built with -tags kind (the
// Docker-backed tests are not compiled without it), and the workflow calls
// it; `make test` says that it did not run them.
func TestMakeIntegrationKind(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(data)
	_, target, ok := strings.Cut(mk, "\nintegration-kind:")
	if !ok {
		t.Fatal("the Makefile has no integration-kind target")
	}
	target, _, _ = strings.Cut(target, "\n\n")
	for _, want := range []string{"-tags kind", "LBLAB_INTEGRATION=1", "./internal/backend/kind/"} {
		if !strings.Contains(target, want) {
			t.Errorf("integration-kind does not run %q:\n%s", want, target)
		}
	}
	_, test, _ := strings.Cut(mk, "\ntest:")
	test, _, _ = strings.Cut(test, "\n")
	if !strings.Contains(test, "kind-not-run") {
		t.Errorf("make test does not say that the kind tests did not run: test:%s", test)
	}
}
