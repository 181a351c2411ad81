package uml

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// LoadModules loads module files (relative to dir, in load order) into the
// running kernel with finit_module. params holds module parameters by
// module name ("dummy" → "numdummies=0"). A module already loaded is fine.
func LoadModules(dir string, files []string, params map[string]string) error {
	for _, file := range files {
		if err := loadModule(filepath.Join(dir, file), params[ModuleName(file)]); err != nil {
			return err
		}
	}
	return nil
}

func loadModule(path, params string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("failed to open module: %w", err)
	}
	defer f.Close()
	if err := unix.FinitModule(int(f.Fd()), params, 0); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("failed to load module %s: %w", ModuleName(path), err)
	}
	return nil
}
