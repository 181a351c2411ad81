package components

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// The tools modules, copied from tools/ with a .txt suffix (a directory with
// a go.mod is another module, which go:embed cannot reach, and a .go file
// here would be compiled). TestEmbeddedModulesInSync fails when they drift.
//
//go:generate mkdir -p modules/kube modules/etcd/cmd/etcd
//go:generate cp ../../../tools/kube/go.mod modules/kube/go.mod.txt
//go:generate cp ../../../tools/kube/go.sum modules/kube/go.sum.txt
//go:generate cp ../../../tools/kube/tools.go modules/kube/tools.go.txt
//go:generate cp ../../../tools/etcd/go.mod modules/etcd/go.mod.txt
//go:generate cp ../../../tools/etcd/go.sum modules/etcd/go.sum.txt
//go:generate cp ../../../tools/etcd/cmd/etcd/main.go modules/etcd/cmd/etcd/main.go.txt
//go:generate mkdir -p modules/metallb
//go:generate cp ../../../tools/metallb/go.mod modules/metallb/go.mod.txt
//go:generate cp ../../../tools/metallb/go.sum modules/metallb/go.sum.txt
//go:generate cp ../../../tools/metallb/tools.go modules/metallb/tools.go.txt
//go:generate mkdir -p modules/kube-vip modules/kube-vip-cloud-provider
//go:generate cp ../../../tools/kube-vip/go.mod modules/kube-vip/go.mod.txt
//go:generate cp ../../../tools/kube-vip/go.sum modules/kube-vip/go.sum.txt
//go:generate cp ../../../tools/kube-vip/tools.go modules/kube-vip/tools.go.txt
//go:generate cp ../../../tools/kube-vip-cloud-provider/go.mod modules/kube-vip-cloud-provider/go.mod.txt
//go:generate cp ../../../tools/kube-vip-cloud-provider/go.sum modules/kube-vip-cloud-provider/go.sum.txt
//go:generate cp ../../../tools/kube-vip-cloud-provider/tools.go modules/kube-vip-cloud-provider/tools.go.txt
//go:generate mkdir -p modules/openelb
//go:generate cp ../../../tools/openelb/go.mod modules/openelb/go.mod.txt
//go:generate cp ../../../tools/openelb/go.sum modules/openelb/go.sum.txt
//go:generate cp ../../../tools/openelb/tools.go modules/openelb/tools.go.txt
//go:generate mkdir -p modules/cilium
//go:generate cp ../../../tools/cilium/go.mod modules/cilium/go.mod.txt
//go:generate cp ../../../tools/cilium/go.sum modules/cilium/go.sum.txt
//go:generate cp ../../../tools/cilium/tools.go modules/cilium/tools.go.txt
//go:embed modules
var modulesFS embed.FS

// moduleFiles returns the files of an embedded module: path inside the
// module (without .txt) to content, in path order.
func moduleFiles(module string) (map[string][]byte, []string, error) {
	root := path.Join("modules", module)
	files := map[string][]byte{}
	var names []string
	err := fs.WalkDir(modulesFS, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := modulesFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".txt")
		files[name] = data
		names = append(names, name)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read the embedded %s module: %w", module, err)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("no embedded %s module", module)
	}
	sort.Strings(names)
	return files, names, nil
}

// moduleHash identifies an embedded module's content; a cached binary built
// from other module files is rebuilt.
func moduleHash(module string) (string, error) {
	files, names, err := moduleFiles(module)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeModule writes an embedded module into dir.
func writeModule(module, dir string) error {
	files, _, err := moduleFiles(module)
	if err != nil {
		return err
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
