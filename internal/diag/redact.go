package diag

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// Credentials never enter a bundle: bundles are uploaded (CI artifacts)
// and passed around, and a lab's admin kubeconfig opens its whole cluster.
// Redact removes them from everything a bundle holds, and CopyState leaves
// key files out altogether.
var (
	// A PEM private key of any type (RSA, EC, PKCS#8, encrypted), also
	// when a log cut it short.
	pemPrivateKey = regexp.MustCompile(`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)`)
	// A YAML line whose key holds a credential: kubeconfigs' embedded
	// client key and bearer tokens, and passwords.
	credentialLine = regexp.MustCompile(`(?m)^([ \t]*(?:- )?)["']?(?:client-key-data|token|[A-Za-z]+-token|password)["']?[ \t]*:.*$`)
	// The same keys in JSON.
	credentialJSON = regexp.MustCompile(`"(?:client-key-data|token|[A-Za-z]+-token|password)"[ \t]*:[ \t]*"[^"]*"`)
	// A JSON Web Token anywhere (ServiceAccount tokens are JWTs).
	jwt = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)
)

// Redact returns data without private keys and credentials. What it
// removes is replaced by a note, so a reader sees that something was there.
func Redact(data []byte) []byte {
	data = pemPrivateKey.ReplaceAll(data, []byte("[lblab: a key was removed from the bundle]"))
	data = credentialLine.ReplaceAll(data, []byte("${1}# lblab: a credential was removed from the bundle"))
	data = credentialJSON.ReplaceAll(data, []byte(`"lblab-removed":"a credential was removed from the bundle"`))
	return jwt.ReplaceAll(data, []byte("[lblab: a JWT was removed from the bundle]"))
}

// redactTree rewrites every regular file under dir that holds a
// credential. A file it cannot read or rewrite is deleted rather than left
// as it is, and named in the error.
func redactTree(dir string) error {
	var errs []error
	walkErr := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if clean := Redact(data); err == nil && !bytes.Equal(clean, data) {
			err = os.WriteFile(path, clean, 0o644)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%w (removed from the bundle: %v)", err, os.Remove(path)))
		}
		return nil
	})
	return errors.Join(append(errs, walkErr)...)
}
