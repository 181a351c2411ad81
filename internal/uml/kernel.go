package uml

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DefaultBinary is where Debian's user-mode-linux package puts the kernel.
const DefaultBinary = "/usr/bin/linux.uml"

// EnvKernel names another UML kernel binary to boot guests with (one built
// by hand, say); its modules must be in /usr/lib/uml/modules/<version>.
const EnvKernel = "LBLAB_UML_KERNEL"

// modulesRoot holds one directory of modules per UML kernel version.
const modulesRoot = "/usr/lib/uml/modules"

// Install is what to tell a user whose machine has no UML kernel.
const Install = "install Debian's user-mode-linux package (apt-get install user-mode-linux, or make setup)"

// Kernel is an installed UML kernel and its modules.
type Kernel struct {
	Binary     string
	Version    string
	ModulesDir string
}

// Find locates the UML kernel (binary, or DefaultBinary when empty) and
// the modules directory of its version. The error names what is missing
// and how to install it.
func Find(binary string) (Kernel, error) {
	if binary == "" {
		binary = os.Getenv(EnvKernel)
	}
	if binary == "" {
		binary = DefaultBinary
	}
	path, err := exec.LookPath(binary)
	if err != nil {
		return Kernel{}, fmt.Errorf("no user-mode Linux kernel at %s: %s", binary, Install)
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return Kernel{}, fmt.Errorf("failed to ask %s for its version: %w", path, err)
	}
	version := strings.TrimSpace(string(out))
	dir := filepath.Join(modulesRoot, version)
	if _, err := os.Stat(filepath.Join(dir, "modules.dep")); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Kernel{}, fmt.Errorf("the user-mode Linux kernel %s has no modules in %s: reinstall the user-mode-linux package", version, dir)
		}
		return Kernel{}, err
	}
	return Kernel{Binary: path, Version: version, ModulesDir: dir}, nil
}

// Boot is one guest's kernel command line.
type Boot struct {
	Kernel Kernel
	// Mem is the guest's memory ("320M").
	Mem string
	// UMID names the guest; Dir (uml_dir) holds its pid file and
	// management console socket, Dir/UMID.
	UMID, Dir string
	// Tap is the host interface the guest's eth0 is joined to; MAC is
	// the guest side's address.
	Tap, MAC string
	// Init is the guest's init program (an lblab binary) and InitArgs its
	// arguments: bare words, which the kernel passes on as init's argv
	// (it keeps appending its own parameters after a "--", so init
	// cannot take its arguments from there).
	Init     string
	InitArgs []string
	// Env is passed to init through the command line: KEY=VALUE words
	// the kernel does not know become init's environment.
	Env []string
}

// Argv is the command that boots the guest. The host's root is the
// guest's, read-only through hostfs; the console writes to stdout.
func (b Boot) Argv() []string {
	argv := []string{b.Kernel.Binary,
		"mem=" + b.Mem,
		"umid=" + b.UMID,
		"uml_dir=" + b.Dir,
		"root=/dev/root", "rootfstype=hostfs", "rootflags=/", "ro",
		"con=null", "ssl=null", "con0=null,fd:1",
		fmt.Sprintf("vec0:transport=tap,ifname=%s,mac=%s", b.Tap, b.MAC),
		"init=" + b.Init,
	}
	argv = append(argv, b.InitArgs...)
	return append(argv, b.Env...)
}
