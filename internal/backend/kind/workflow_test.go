package kind

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// actionlint is pinned; `go run` fetches it from the Go module proxy once
// and caches the build.
const actionlint = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"

// The CI matrix workflow must stay valid: actionlint checks its syntax,
// expressions, matrix references and (where shellcheck is installed) its
// scripts.
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
		"--backend kind", "-o junit", "> junit.xml", "--bundle-dir", "upload-artifact", "lblab down", "UP_SECONDS", "VERIFY_SECONDS",
		"-tags kind"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("%s does not contain %q", wf, want)
		}
	}
	cmd := exec.Command("go", "run", actionlint, "-no-color", wf)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("actionlint %s: %v\n%s", wf, err, out)
	}
}
