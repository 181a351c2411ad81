package diag

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// stateSkipDirs are the parts of a lab's state directory a bundle leaves
// out: etcd's data (every Secret of the cluster), binaries and image
// archives (large, and rebuilt from the source anyway).
var stateSkipDirs = map[string]string{
	"etcd":   "etcd's data holds the cluster's Secrets",
	"bin":    "binaries",
	"images": "image archives",
}

// maxStateFile bounds one copied file (logs included).
const maxStateFile = 64 << 20

// CopyState copies a lab's state directory into dst for a bundle: its
// state, topology, configuration, certificates, kubeconfigs and logs,
// without private keys (files of keys are left out; keys, client-key-data
// and tokens inside other files are removed by Redact), etcd's data,
// binaries and image archives. What it leaves out is listed in
// dst/omitted.txt.
func CopyState(src, dst string) error {
	var omitted []string
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if why, ok := stateSkipDirs[d.Name()]; ok && rel != "." {
				omitted = append(omitted, rel+"/: "+why)
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // sockets, links
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > maxStateFile {
			omitted = append(omitted, fmt.Sprintf("%s: %d bytes, more than %d", rel, info.Size(), maxStateFile))
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if isKeyFile(rel, data) {
			omitted = append(omitted, rel+": a key")
			return nil
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, Redact(data), 0o644)
	})
	if err != nil {
		return fmt.Errorf("failed to copy the lab's state %s: %w", src, err)
	}
	if len(omitted) == 0 {
		return nil
	}
	sort.Strings(omitted)
	note := "Left out of this copy of the lab's state directory:\n" + strings.Join(omitted, "\n") + "\n"
	return os.WriteFile(filepath.Join(dst, "omitted.txt"), []byte(note), 0o644)
}

// isKeyFile reports whether a file is a key: named so (ca.key, sa.key), or
// a PEM file that holds a private key. Other files with a key inside (a
// log) are copied with the key removed.
func isKeyFile(name string, data []byte) bool {
	if strings.HasSuffix(name, ".key") {
		return true
	}
	return bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN ")) && pemPrivateKey.Match(data)
}
