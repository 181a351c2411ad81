package uml

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// fpregsSource is the shim preloaded into the UML kernel (see csrc/fpregs.c).
//
//go:embed csrc/fpregs.c
var fpregsSource []byte

// NeedsCompiler is what to tell a user whose machine cannot build the shim.
const NeedsCompiler = "install a C compiler (apt-get install gcc, or make setup): uml nodes build a small library that UML needs on this CPU"

// EnsureShim returns the shim's shared library in dir, building it with
// gcc the first time (about a second). Its name carries the source's
// hash, so a changed shim is rebuilt and a stale one never loaded.
func EnsureShim(dir, cc string) (string, error) {
	if cc == "" {
		cc = "gcc"
	}
	sum := sha256.Sum256(fpregsSource)
	lib := filepath.Join(dir, "fpregs-"+hex.EncodeToString(sum[:6])+".so")
	if _, err := os.Stat(lib); err == nil {
		return lib, nil
	}
	if _, err := exec.LookPath(cc); err != nil {
		return "", errors.New(NeedsCompiler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "fpregs.c")
	if err := os.WriteFile(src, fpregsSource, 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(tmp, "fpregs.so")
	cmd := exec.Command(cc, "-O2", "-Wall", "-shared", "-fPIC", "-o", out, src, "-ldl", "-lpthread")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("failed to build the UML FPU shim with %s: %w: %s", cc, err, strings.TrimSpace(string(msg)))
	}
	if err := os.Rename(out, lib); err != nil {
		return "", err
	}
	return lib, nil
}
