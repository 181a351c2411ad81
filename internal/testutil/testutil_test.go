package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Build directories of exited test processes go; those of live processes,
// and those whose name has no pid, stay.
func TestRemoveStaleBinaries(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{ // name → removed
		binDirPrefix + strconv.Itoa(exited.Process.Pid) + "-123": true,
		binDirPrefix + strconv.Itoa(os.Getpid()) + "-123":        false,
		binDirPrefix + "1-123":                                   false, // init runs
		binDirPrefix + "123456789":                               false, // no pid in the name
	}
	for d := range dirs {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleBinaries()
	for d, removed := range dirs {
		_, err := os.Stat(filepath.Join(tmp, d))
		if gone := os.IsNotExist(err); gone != removed {
			t.Errorf("%s: removed=%v, want %v", d, gone, removed)
		}
	}
}
