package testutil

import (
	"os"
	"path/filepath"
	"strings"
)

// Processes returns the command lines (arguments joined by spaces) of the
// machine's processes whose raw command line, arguments separated by NUL,
// contains one of markers: what a lab's `down` must have left none of.
func Processes(markers ...string) []string {
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var out []string
	for _, f := range cmdlines {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, m := range markers {
			if strings.Contains(string(data), m) {
				out = append(out, strings.TrimSpace(strings.ReplaceAll(string(data), "\x00", " ")))
				break
			}
		}
	}
	return out
}
