package haproxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// haproxyBinary returns the installed HAProxy, or skips the test when
// there is none, unless LBLAB_INTEGRATION=1 says it must run.
func haproxyBinary(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(DefaultBinary); err != nil {
		if os.Getenv("LBLAB_INTEGRATION") == "1" {
			t.Fatalf("LBLAB_INTEGRATION=1 but HAProxy is missing: %v (apt-get install haproxy)", err)
		}
		t.Skipf("no HAProxy at %s (apt-get install haproxy; LBLAB_INTEGRATION=1 makes this a failure)", DefaultBinary)
	}
	return DefaultBinary
}

// echo is a backend server: it answers each connection's first line
// with "<name>:<line>".
type echo struct {
	name string
	addr netip.AddrPort
	ln   net.Listener
}

func newEcho(t *testing.T, name string, host netip.Addr) *echo {
	t.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(host, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	e := &echo{name: name, addr: netip.MustParseAddrPort(ln.Addr().String())}
	e.serve(ln)
	t.Cleanup(func() { e.ln.Close() })
	return e
}

func (e *echo) serve(ln net.Listener) {
	e.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					return // a TCP health check
				}
				_, _ = io.WriteString(c, e.name+":"+line)
			}()
		}
	}()
}

// reopen listens on the same port again after e.ln.Close().
func (e *echo) reopen(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", e.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	e.serve(ln)
}

// health is kube-proxy's healthCheckNodePort: /healthz answers 200 or 503.
type health struct {
	port uint16
	bad  atomic.Bool
}

func newHealth(t *testing.T, host netip.Addr) *health {
	t.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(host, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	h := &health{port: netip.MustParseAddrPort(ln.Addr().String()).Port()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || h.bad.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"localEndpoints": 1}`))
	}), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return h
}

// freePort returns a port nothing listens on right now.
func freePort(t *testing.T, host netip.Addr) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(host, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return netip.MustParseAddrPort(ln.Addr().String()).Port()
}

// send sends one line through addr and returns the answer.
func send(addr netip.AddrPort) (string, error) {
	c, err := net.DialTimeout("tcp", addr.String(), 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return "", err
	}
	out, err := io.ReadAll(c)
	if err != nil {
		return "", err
	}
	if len(out) == 0 {
		return "", errors.New("connection closed without an answer")
	}
	return strings.TrimSpace(string(out)), nil
}

// waitStatus waits until the server row of proxy/server has a status
// starting with want and returns how long that took.
func waitStatus(t *testing.T, socket, proxy, server, want string) time.Duration {
	t.Helper()
	start := time.Now()
	var last Stat
	for time.Since(start) < 10*time.Second {
		stats, err := ShowStat(t.Context(), socket)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := Find(stats, "server", proxy, server); ok {
			last = s
			if s.Status == want {
				return time.Since(start)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s/%s is %q (check %s %s), want %s", proxy, server, last.Status, last.CheckStatus, last.CheckDesc, want)
	return 0
}

// TestProcess runs the real HAProxy on loopback, once per family: health
// checks against Go listeners and a Go /healthz, forwarding, Apply adding
// and removing a frontend, and an invalid configuration refused while the
// old one keeps serving. With -update it rewrites testdata/show-stat-*.csv
// from what this HAProxy says.
func TestProcess(t *testing.T) {
	bin := haproxyBinary(t)
	for _, fam := range []struct{ name, host string }{{"ipv4", "127.0.0.1"}, {"ipv6", "::1"}} {
		t.Run(fam.name, func(t *testing.T) {
			t.Parallel()
			host := netip.MustParseAddr(fam.host)
			if _, err := net.Listen("tcp", netip.AddrPortFrom(host, 0).String()); err != nil {
				t.Skipf("no %s loopback: %v", fam.name, err)
			}
			testProcess(t, bin, fam.name, host)
		})
	}
}

func testProcess(t *testing.T, bin, family string, host netip.Addr) {
	a1, a2 := newEcho(t, "a1", host), newEcho(t, "a2", host)
	b1, b2 := newEcho(t, "b1", host), newEcho(t, "b2", host)
	h1, h2 := newHealth(t, host), newHealth(t, host)
	check := Check{Interval: 100 * time.Millisecond, Fall: 2, Rise: 2}
	feA := Frontend{Name: "tcp_" + family, Bind: netip.AddrPortFrom(host, freePort(t, host)), Check: check,
		Servers: []Server{{Name: "a1", Addr: a1.addr}, {Name: "a2", Addr: a2.addr}}}
	feB := Frontend{Name: "http_" + family, Bind: netip.AddrPortFrom(host, freePort(t, host)), Check: check,
		Servers: []Server{
			{Name: "b1", Addr: b1.addr, CheckPort: h1.port, CheckPath: "/healthz"},
			{Name: "b2", Addr: b2.addr, CheckPort: h2.port, CheckPath: "/healthz"},
		}}
	cfg := Config{Dir: t.TempDir(), Frontends: []Frontend{feA, feB}}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	start := time.Now()
	p, err := Start(ctx, bin, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	t.Logf("started in %s", time.Since(start).Round(time.Millisecond))
	sock := p.StatsSocket()
	for _, s := range []struct{ px, srv string }{{feA.Name, "a1"}, {feA.Name, "a2"}, {feB.Name, "b1"}, {feB.Name, "b2"}} {
		waitStatus(t, sock, s.px, s.srv, "UP")
	}
	seen := map[string]bool{}
	for range 4 {
		got, err := send(feA.Bind)
		if err != nil {
			t.Fatal(err)
		}
		seen[got] = true
	}
	if !seen["a1:ping"] || !seen["a2:ping"] {
		t.Errorf("roundrobin through %s reached %v, want a1 and a2", feA.Bind, seen)
	}

	// A closed listener and a 503 take their servers DOWN.
	changed := time.Now()
	a1.ln.Close()
	h1.bad.Store(true)
	waitStatus(t, sock, feA.Name, "a1", "DOWN")
	t.Logf("a1 DOWN after its listener closed: %s", time.Since(changed).Round(time.Millisecond))
	waitStatus(t, sock, feB.Name, "b1", "DOWN")
	t.Logf("b1 DOWN after /healthz 503: %s", time.Since(changed).Round(time.Millisecond))
	stats, err := ShowStat(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := Find(stats, "server", feA.Name, "a1"); s.CheckStatus != "L4CON" || s.Addr != a1.addr {
		t.Errorf("a1: %+v, want check L4CON at %s", s, a1.addr)
	}
	if s, _ := Find(stats, "server", feB.Name, "b1"); s.CheckStatus != "L7STS" {
		t.Errorf("b1: %+v, want check L7STS", s)
	}
	if s, _ := Find(stats, "server", feB.Name, "b2"); s.CheckStatus != "L7OK" {
		t.Errorf("b2: %+v, want check L7OK", s)
	}
	if *update {
		raw, err := command(ctx, sock, "show stat")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "show-stat-"+family+".csv"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if got, err := send(feA.Bind); err != nil || got != "a2:ping" {
			t.Errorf("with a1 down, %s answered %q, %v; want a2:ping", feA.Bind, got, err)
		}
		if got, err := send(feB.Bind); err != nil || got != "b2:ping" {
			t.Errorf("with b1 down, %s answered %q, %v; want b2:ping", feB.Bind, got, err)
		}
	}
	changed = time.Now()
	a1.reopen(t)
	h1.bad.Store(false)
	waitStatus(t, sock, feA.Name, "a1", "UP")
	t.Logf("a1 UP after its listener came back: %s", time.Since(changed).Round(time.Millisecond))
	waitStatus(t, sock, feB.Name, "b1", "UP")
	t.Logf("b1 UP after /healthz 200: %s", time.Since(changed).Round(time.Millisecond))

	// Apply: a new frontend to b1 alone, feB gone.
	before, err := workerPID(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if pid, _ := workerPID(ctx, sock); pid != before {
		t.Errorf("an unchanged config reloaded: worker %d, was %d", pid, before)
	}
	feC := Frontend{Name: "new_" + family, Bind: netip.AddrPortFrom(host, freePort(t, host)), Check: check,
		Servers: []Server{{Name: "b1", Addr: b1.addr}}}
	next := Config{Dir: cfg.Dir, Frontends: []Frontend{feA, feC}}
	start = time.Now()
	if err := p.Apply(ctx, next); err != nil {
		t.Fatal(err)
	}
	t.Logf("reloaded in %s", time.Since(start).Round(time.Millisecond))
	if pid, _ := workerPID(ctx, sock); pid == before {
		t.Errorf("Apply returned while worker %d, the old one, still answers", pid)
	}
	for range 2 {
		if got, err := send(feC.Bind); err != nil || got != "b1:ping" {
			t.Errorf("new frontend %s answered %q, %v; want b1:ping", feC.Bind, got, err)
		}
	}
	if got, err := send(feB.Bind); err == nil {
		t.Errorf("removed frontend %s still answers %q", feB.Bind, got)
	}
	stats, err = ShowStat(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Find(stats, "frontend", feB.Name, "FRONTEND"); ok {
		t.Errorf("show stat still has %s", feB.Name)
	}
	if s, ok := Find(stats, "frontend", feC.Name, "FRONTEND"); !ok || s.Status != "OPEN" {
		t.Errorf("show stat has %s as %+v, want OPEN", feC.Name, s)
	}

	// A server found DOWN stays DOWN across a reload: the state file.
	// Without it the new worker starts it "UP 1/2" and sends it traffic.
	a1.ln.Close()
	waitStatus(t, sock, feA.Name, "a1", "DOWN")
	feD := Frontend{Name: "more_" + family, Bind: netip.AddrPortFrom(host, freePort(t, host)), Check: check,
		Servers: []Server{{Name: "b2", Addr: b2.addr}}}
	if err := p.Apply(ctx, Config{Dir: cfg.Dir, Frontends: []Frontend{feA, feC, feD}}); err != nil {
		t.Fatal(err)
	}
	stats, err = ShowStat(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := Find(stats, "server", feA.Name, "a1"); s.Status != "DOWN" {
		t.Errorf("a1 right after a reload: %q, want DOWN as before it", s.Status)
	}
	a1.reopen(t)
	waitStatus(t, sock, feA.Name, "a1", "UP")

	// HAProxy refuses what Render lets through (a timer above ~24.8
	// days): the error says so and the old configuration keeps serving.
	bad := Frontend{Name: "bad_" + family, Bind: netip.AddrPortFrom(host, freePort(t, host)),
		Check: Check{Interval: 30 * 24 * time.Hour}, Servers: []Server{{Name: "b2", Addr: b2.addr}}}
	err = p.Apply(ctx, Config{Dir: cfg.Dir, Frontends: []Frontend{feA, bad}})
	if err == nil || !strings.Contains(err.Error(), "refused the configuration") || !strings.Contains(err.Error(), "inter") {
		t.Errorf("Apply of an invalid config: %v, want HAProxy's refusal", err)
	}
	if got, err := send(feC.Bind); err != nil || got != "b1:ping" {
		t.Errorf("after a refused config, %s answered %q, %v; want b1:ping", feC.Bind, got, err)
	}
	if data, _ := os.ReadFile(cfg.Path()); strings.Contains(string(data), bad.Name) {
		t.Errorf("%s holds the refused config", cfg.Path())
	}
	// The refused config does not poison the next one.
	if err := p.Apply(ctx, Config{Dir: cfg.Dir, Frontends: []Frontend{feA}}); err != nil {
		t.Fatal(err)
	}
	if _, err := send(feC.Bind); err == nil {
		t.Errorf("%s still answers after its frontend was removed", feC.Bind)
	}

	start = time.Now()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done is open after Stop")
	}
	t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
	if _, err := send(feA.Bind); err == nil {
		t.Errorf("%s still answers after Stop", feA.Bind)
	}
}

// TestStartRefusesInvalid: Start fails with HAProxy's words and leaves
// nothing running.
func TestStartRefusesInvalid(t *testing.T) {
	bin := haproxyBinary(t)
	cfg := Config{Dir: t.TempDir(), Frontends: []Frontend{{Name: "x", Bind: ap("127.0.0.1:1"),
		Check: Check{Interval: 30 * 24 * time.Hour}, Servers: []Server{{Name: "s", Addr: ap("127.0.0.1:2")}}}}}
	_, err := Start(t.Context(), bin, cfg)
	if err == nil || !strings.Contains(err.Error(), "timer overflow") {
		t.Fatalf("err = %v, want HAProxy's timer overflow", err)
	}
	if _, err := os.Stat(cfg.Path()); err == nil {
		t.Errorf("%s was written", cfg.Path())
	}
	_, err = Start(t.Context(), filepath.Join(t.TempDir(), "haproxy"), Config{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "install haproxy or pass its path") {
		t.Errorf("missing binary: %v", err)
	}
}

func TestProcessDiesWithExitChannel(t *testing.T) {
	bin := haproxyBinary(t)
	p, err := Start(t.Context(), bin, Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if err := p.Apply(t.Context(), Config{Dir: "/elsewhere"}); err == nil {
		t.Error("Apply took a config of another Dir")
	}
	// Kill the master from outside: Done closes and Apply says so.
	if err := killGroup(p.Pid()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done did not close after the master died")
	}
	if p.Wait() == nil {
		t.Error("Wait returned nil for a killed master")
	}
	err = p.Apply(t.Context(), Config{Frontends: []Frontend{{Name: "x", Bind: ap("127.0.0.1:9")}}})
	if err == nil || !strings.Contains(err.Error(), "must be started again") {
		t.Errorf("Apply after death: %v", err)
	}
}

func killGroup(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	if err := p.Kill(); err != nil {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	return nil
}
