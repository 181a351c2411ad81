package components

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationBuildKubectl builds the real kubectl through the embedded
// tools module (seconds with a warm Go build cache, about a minute cold) and
// checks the version stamp.
func TestIntegrationBuildKubectl(t *testing.T) {
	testutil.Integration(t)
	o := Options{CacheDir: t.TempDir()}
	bins, err := Resolve(context.Background(), o, Kubectl)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bins.Path(Kubectl), "version", "--client").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "Client Version: "+KubernetesVersion) {
		t.Errorf("kubectl version --client = %q", out)
	}
}
