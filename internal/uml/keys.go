package uml

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// Key files of a lab's SSH identity, in one directory of its state.
const (
	HostKeyFile   = "ssh_host_ed25519_key" // the guests' host key
	ClientKeyFile = "id_ed25519"           // the key lblab (and users) log in with
)

// EnsureKeys makes the lab's host and client keys in dir unless they exist.
func EnsureKeys(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range []string{HostKeyFile, ClientKeyFile} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if err := writeKey(path); err != nil {
			return err
		}
	}
	return nil
}

// writeKey writes a new ed25519 private key (OpenSSH format, so ssh -i
// takes it) and its public half in authorized_keys format beside it.
func writeKey(path string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(priv, "lblab")
	if err != nil {
		return err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sshPub), 0o644); err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(block), 0o600)
}

// readSigner reads a private key written by writeKey.
func readSigner(path string) (ssh.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	return s, nil
}

// readPublic reads a public key in authorized_keys format.
func readPublic(path string) (ssh.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	return k, nil
}

// ClientConfig logs in as root with the lab's client key and accepts only
// the lab's host key.
func ClientConfig(dir string) (*ssh.ClientConfig, error) {
	signer, err := readSigner(filepath.Join(dir, ClientKeyFile))
	if err != nil {
		return nil, fmt.Errorf("failed to read the lab's SSH key: %w", err)
	}
	hostKey, err := readPublic(filepath.Join(dir, HostKeyFile+".pub"))
	if err != nil {
		return nil, fmt.Errorf("failed to read the lab's SSH host key: %w", err)
	}
	return &ssh.ClientConfig{
		User:            "root",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(hostKey),
		ClientVersion:   "SSH-2.0-lblab",
	}, nil
}

// MAC is a stable, locally administered unicast address for a guest.
func MAC(labName, node string) net.HardwareAddr {
	sum := sha256.Sum256([]byte(labName + "/" + node))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&0xfe | 0x02
	return mac
}

var errNoKey = errors.New("no authorized key")
