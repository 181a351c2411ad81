package cli

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/controller/externallb"
	"github.com/lblab/lblab/internal/haproxy"
)

// fakeHAProxy is an executable file standing in for --haproxy (the flag
// checks only that it exists).
func fakeHAProxy(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "haproxy")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLBControllerFlags(t *testing.T) {
	bin := fakeHAProxy(t)
	base := []string{"--pool", "198.51.100.0/28", "--pool", "2001:db8:100::10-2001:db8:100::1f", "--haproxy", bin}
	tests := []struct {
		name string
		args []string
		want string // "" for valid
	}{
		{"defaults and two pools", nil, ""},
		{"every flag", []string{"--class", "example.com/lb", "--device", "lb0", "--dir", "/run/x", "--check-interval", "250ms",
			"--check-fall", "3", "--check-rise", "1", "--metrics-addr", ":7473", "--kubeconfig", "/k"}, ""},
		{"no pool", nil, "--pool is missing"},
		{"empty pool", []string{"--pool="}, `--pool: pool "" is not a CIDR`},
		{"bad pool", []string{"--pool", "198.51.100.0/33"}, `--pool: pool "198.51.100.0/33" is not a valid prefix`},
		{"overlapping pools", []string{"--pool", "198.51.100.8/29"}, "--pool: pools 198.51.100.0-198.51.100.15 and 198.51.100.8-198.51.100.15 overlap"},
		{"empty class", []string{"--class", ""}, "--class is empty"},
		{"bad class", []string{"--class", "a b"}, `--class "a b" is not a qualified name`},
		{"empty device", []string{"--device", ""}, "--device is empty"},
		{"relative dir", []string{"--dir", "run/lb"}, `--dir "run/lb" must be an absolute path`},
		{"missing haproxy", []string{"--haproxy", "/nonexistent/haproxy"}, "--haproxy /nonexistent/haproxy: no such program"},
		{"zero interval", []string{"--check-interval", "0s"}, "--check-interval 0s must be a whole number of milliseconds"},
		{"sub-millisecond interval", []string{"--check-interval", "1500us"}, "--check-interval 1.5ms"},
		{"zero fall", []string{"--check-fall", "0"}, "--check-fall 0 must be 1 or more"},
		{"negative rise", []string{"--check-rise", "-1"}, "--check-rise -1 must be 1 or more"},
		{"bad metrics addr", []string{"--metrics-addr", "7473"}, `--metrics-addr "7473" is not host:port`},
		{"unparsable duration", []string{"--check-interval", "soon"}, `invalid argument "soon" for "--check-interval"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, f := lbControllerCommand(&globals{})
			args := append(append([]string{}, base...), tt.args...)
			if tt.name == "no pool" {
				args = append([]string{"--haproxy", bin}, tt.args...)
			}
			err := cmd.ParseFlags(args)
			var opts externallb.Options
			if err == nil {
				opts, err = f.options()
			}
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(opts.Pools) == 0 || opts.Pools[len(opts.Pools)-1].String() != "2001:db8:100::10-2001:db8:100::1f" {
					t.Errorf("pools %v", opts.Pools)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
	// The values arrive in the options.
	cmd, f := lbControllerCommand(&globals{})
	if err := cmd.ParseFlags(append(base, "--class", "example.com/lb", "--device", "lb0", "--dir", "/run/x",
		"--check-interval", "250ms", "--check-fall", "3", "--check-rise", "4", "--metrics-addr", ":7473")); err != nil {
		t.Fatal(err)
	}
	o, err := f.options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Class != "example.com/lb" || o.Device != "lb0" || o.Dir != "/run/x" || o.HAProxy != bin || o.MetricsAddr != ":7473" ||
		o.Check != (haproxy.Check{Interval: 250 * time.Millisecond, Fall: 3, Rise: 4}) || len(o.Pools) != 2 {
		t.Errorf("options %+v", o)
	}
}

// TestLBControllerRejectsFlagsBeforeConnecting: a bad flag fails through
// the real command, before any kubeconfig is needed.
func TestLBControllerRejectsFlagsBeforeConnecting(t *testing.T) {
	_, _, err := runCLI(t, "lb-controller", "--pool", "nope", "--haproxy", fakeHAProxy(t))
	if err == nil || !strings.Contains(err.Error(), `--pool: pool "nope" is not a CIDR or an a-b range`) {
		t.Errorf("err = %v", err)
	}
	_, _, err = runCLI(t, "lb-controller", "--pool", "198.51.100.0/28", "--haproxy", fakeHAProxy(t), "--kubeconfig", "/nonexistent/kubeconfig")
	if err == nil || !strings.Contains(err.Error(), "failed to load kubeconfig /nonexistent/kubeconfig") {
		t.Errorf("err = %v", err)
	}
}

func TestProbeHAProxy(t *testing.T) {
	_, _, err := runCLI(t, "probe", "haproxy", "--socket", filepath.Join(t.TempDir(), "none.sock"))
	if err == nil || !strings.Contains(err.Error(), "failed to reach HAProxy at") {
		t.Errorf("err = %v", err)
	}
	if testing.Short() {
		t.Skip("-short: no real HAProxy")
	}
	if _, err := os.Stat(haproxy.DefaultBinary); err != nil {
		if os.Getenv("LBLAB_INTEGRATION") == "1" {
			t.Fatalf("LBLAB_INTEGRATION=1 but no HAProxy: %v", err)
		}
		t.Skip("no HAProxy")
	}
	cfg := haproxy.Config{Dir: t.TempDir(), Frontends: []haproxy.Frontend{{Name: "default_web_80_v4",
		Bind: netip.MustParseAddrPort("127.0.0.1:1"), Servers: []haproxy.Server{{Name: "node1", Addr: netip.MustParseAddrPort("127.0.0.1:2")}}}}}
	p, err := haproxy.Start(t.Context(), haproxy.DefaultBinary, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	out, _, err := runCLI(t, "probe", "haproxy", "--socket", p.StatsSocket())
	if err != nil {
		t.Fatal(err)
	}
	var stats []haproxy.Stat
	if err := json.Unmarshal([]byte(out), &stats); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if s, ok := haproxy.Find(stats, "server", "default_web_80_v4", "node1"); !ok || s.Addr != netip.MustParseAddrPort("127.0.0.1:2") {
		t.Errorf("stats %+v", stats)
	}
}
