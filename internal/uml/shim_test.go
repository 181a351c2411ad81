package uml

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnsureShim(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	lib, err := EnsureShim(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("nm", "-D", "--defined-only", lib).CombinedOutput()
	if err != nil {
		t.Fatalf("nm: %v: %s", err, out)
	}
	if !strings.Contains(string(out), " T ptrace") {
		t.Errorf("the shim does not export ptrace:\n%s", out)
	}
	st, _ := os.Stat(lib)
	again, err := EnsureShim(dir, "")
	if err != nil || again != lib {
		t.Fatalf("second EnsureShim = %s, %v", again, err)
	}
	if st2, _ := os.Stat(lib); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("a cached shim was rebuilt")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".build-*")); len(left) > 0 {
		t.Errorf("build directories left: %v", left)
	}
}

func TestEnsureShimWithoutCompiler(t *testing.T) {
	_, err := EnsureShim(t.TempDir(), "no-such-cc-lblab")
	if err == nil || !strings.Contains(err.Error(), "apt-get install gcc") {
		t.Fatalf("err = %v", err)
	}
}
