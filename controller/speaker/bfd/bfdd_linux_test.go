package bfd

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const frrBfdd = "/usr/lib/frr/bfdd"

// frrPeer is one entry of FRR's `show bfd peers json`.
type frrPeer struct {
	Peer       string `json:"peer"`
	Status     string `json:"status"`
	RemoteTx   int    `json:"remote-transmit-interval"`
	RemoteRx   int    `json:"remote-receive-interval"`
	RemoteMult int    `json:"remote-detect-multiplier"`
}

// bfddProc is FRR's bfdd running on its own in a namespace, with its vty
// socket, pid file and config under a test directory.
type bfddProc struct {
	dir string
	cmd *exec.Cmd
}

func startBfdd(t *testing.T, dir, ns string, peers, locals []netip.Addr) *bfddProc {
	t.Helper()
	var conf strings.Builder
	conf.WriteString("bfd\n")
	for i, p := range peers {
		fmt.Fprintf(&conf, " peer %s local-address %s\n  receive-interval 300\n  transmit-interval 300\n  detect-multiplier 3\n exit\n", p, locals[i])
	}
	conf.WriteString("exit\n")
	// bfdd drops to the frr user (root is not in the frrvty group): it
	// must reach and own its directory.
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chown", "frr:frr", dir).CombinedOutput(); err != nil {
		t.Fatalf("failed to chown %s to frr: %v: %s", dir, err, out)
	}
	confPath := filepath.Join(dir, "bfdd.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "bfdd.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	b := &bfddProc{dir: dir}
	b.cmd = exec.Command("ip", "netns", "exec", ns, frrBfdd,
		"-P", "0", "-f", confPath, "-i", filepath.Join(dir, "bfdd.pid"),
		"--vty_socket", dir, "-z", filepath.Join(dir, "zserv.api"), "--bfdctl", filepath.Join(dir, "bfdd.sock"),
		"--log", "stdout", "--log-level", "debug")
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("failed to start bfdd: %v", err)
	}
	t.Cleanup(func() {
		if b.cmd.ProcessState == nil {
			_ = b.cmd.Process.Kill()
			_ = b.cmd.Wait()
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := b.vtysh("show bfd peers json"); err == nil {
			return b
		} else if time.Now().After(deadline) {
			t.Fatalf("bfdd's vty did not answer within 10 s: %v; log:\n%s", err, b.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *bfddProc) vtysh(cmd string) ([]byte, error) {
	out, err := exec.Command("vtysh", "--vty_socket", b.dir, "-d", "bfdd", "-c", cmd).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("vtysh -c %q: %v: %s", cmd, err, out)
	}
	return out, nil
}

func (b *bfddProc) peers(t *testing.T) []frrPeer {
	t.Helper()
	out, err := b.vtysh("show bfd peers json")
	if err != nil {
		t.Fatal(err)
	}
	var peers []frrPeer
	if err := json.Unmarshal(out, &peers); err != nil {
		t.Fatalf("failed to parse show bfd peers json: %v: %s", err, out)
	}
	return peers
}

func (b *bfddProc) peer(t *testing.T, addr netip.Addr) frrPeer {
	t.Helper()
	for _, p := range b.peers(t) {
		if p.Peer == addr.String() {
			return p
		}
	}
	t.Fatalf("FRR has no peer %s", addr)
	return frrPeer{}
}

func (b *bfddProc) log() string {
	out, _ := os.ReadFile(filepath.Join(b.dir, "bfdd.log"))
	if len(out) > 4000 {
		out = out[len(out)-4000:]
	}
	return string(out)
}

// kill stops bfdd with SIGKILL, so it sends nothing more, and returns when.
func (b *bfddProc) kill(t *testing.T) time.Time {
	t.Helper()
	at := time.Now()
	if err := b.cmd.Process.Kill(); err != nil {
		t.Fatalf("failed to kill bfdd: %v", err)
	}
	_ = b.cmd.Wait()
	return at
}
