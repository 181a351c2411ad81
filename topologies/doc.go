// Package topologies embeds the topology files bundled with lblab, so that
// `lblab up -t bgp-ecmp` works from any directory.
package topologies

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Read returns the bundled topology of that name (without ".yaml").
func Read(name string) ([]byte, error) {
	return fs.ReadFile(files, name+".yaml")
}

// Names lists the bundled topologies.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}
