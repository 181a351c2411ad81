package haproxy

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata (and, with HAProxy, the captured show stat)")

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// TestRender compares rendered configurations with testdata/*.cfg
// (go test -run TestRender -update rewrites them) and has HAProxy check
// each one when it is installed.
func TestRender(t *testing.T) {
	fast := Check{Interval: 100 * time.Millisecond, Fall: 2, Rise: 2}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"empty", Config{Dir: "/run/lblab/lb"}},
		{"ipv4-tcp-check", Config{Dir: "/run/lblab/lb", Frontends: []Frontend{{
			Name: "default_web_80_v4", Bind: ap("198.51.100.10:80"), Check: fast,
			// Out of order on purpose: the output is sorted.
			Servers: []Server{
				{Name: "node2", Addr: ap("10.0.0.12:30080")},
				{Name: "node1", Addr: ap("10.0.0.11:30080")},
			},
		}}}},
		{"ipv6-http-check", Config{Dir: "/run/lblab/lb", Frontends: []Frontend{{
			Name: "default_web_80_v6", Bind: ap("[2001:db8:100::10]:80"), Check: Check{Interval: time.Second, Fall: 2, Rise: 3},
			Servers: []Server{
				{Name: "node1", Addr: ap("[fd00::11]:30080"), CheckPort: 31234, CheckPath: "/healthz"},
				{Name: "node2", Addr: ap("[fd00::12]:30080"), CheckPort: 31234, CheckPath: "/healthz"},
			},
		}}}},
		{"dual-stack-defaults", Config{Dir: "/run/lblab/lb", Frontends: []Frontend{
			{Name: "ns_svc_443_v6", Bind: ap("[2001:db8:100::11]:443"), Servers: []Server{{Name: "node1", Addr: ap("[fd00::11]:30443")}}},
			{Name: "ns_svc_443_v4", Bind: ap("198.51.100.11:443"), Servers: []Server{{Name: "node1", Addr: ap("10.0.0.11:30443")}}},
			{Name: "ns_empty_53_v4", Bind: ap("198.51.100.12:53")},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".cfg")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("rendered config differs from %s (-update rewrites it):\n%s", golden, got)
			}
			if _, err := os.Stat(DefaultBinary); err == nil {
				path := filepath.Join(t.TempDir(), "haproxy.cfg")
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := Validate(t.Context(), DefaultBinary, path); err != nil {
					t.Errorf("HAProxy refuses the rendered config: %v", err)
				}
			}
		})
	}
}

func TestRenderRejects(t *testing.T) {
	srv := func(name, addr string) Server { return Server{Name: name, Addr: ap(addr)} }
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"no dir", Config{}, []string{"Dir is empty"}},
		{"relative dir", Config{Dir: "run/lb"}, []string{`Dir "run/lb" must be an absolute path`}},
		{"dir with a space", Config{Dir: "/run/my lb"}, []string{"has a space"}},
		{"dir too long", Config{Dir: "/" + strings.Repeat("d", 100)}, []string{"too long for a Unix socket path"}},
		{"bad names", Config{Dir: "/run/lb", Frontends: []Frontend{
			{Name: "a b", Bind: ap("198.51.100.1:80")},
			{Bind: ap("198.51.100.2:80")},
			{Name: "x", Bind: ap("198.51.100.3:80"), Servers: []Server{srv("n/1", "10.0.0.1:1"), srv("", "10.0.0.2:1")}},
		}}, []string{`frontend "a b": a name may only hold`, "frontends[1]: no name", `server "n/1": a name may only hold`, "servers[1]: no name"}},
		{"duplicates", Config{Dir: "/run/lb", Frontends: []Frontend{
			{Name: "x", Bind: ap("198.51.100.1:80"), Servers: []Server{srv("n1", "10.0.0.1:1"), srv("n1", "10.0.0.2:1")}},
			{Name: "x", Bind: ap("198.51.100.1:80")},
		}}, []string{`frontend "x": the name is used twice`, `bind 198.51.100.1:80 is also frontend "x"'s`, `server "n1": the name is used twice`}},
		{"mixed families", Config{Dir: "/run/lb", Frontends: []Frontend{
			{Name: "v4", Bind: ap("198.51.100.1:80"), Servers: []Server{srv("n1", "[fd00::1]:30080")}},
			{Name: "v6", Bind: ap("[2001:db8::1]:80"), Servers: []Server{srv("n1", "10.0.0.1:30080")}},
		}}, []string{`frontend "v4": server "n1": address [fd00::1]:30080 is not of the family of bind 198.51.100.1:80`,
			`frontend "v6": server "n1": address 10.0.0.1:30080 is not of the family`}},
		{"bad addresses", Config{Dir: "/run/lb", Frontends: []Frontend{
			{Name: "noport", Bind: ap("198.51.100.1:0")},
			{Name: "nobind"},
			{Name: "mapped", Bind: ap("[::ffff:198.51.100.1]:80")},
			{Name: "srv", Bind: ap("198.51.100.2:80"), Servers: []Server{srv("any", "0.0.0.0:80"), {Name: "none"}}},
		}}, []string{"198.51.100.1:0 has no port", `frontend "nobind": bind: no address`, "IPv4-mapped",
			`server "any": 0.0.0.0:80 is the unspecified address`, `server "none": no address`}},
		{"bad checks", Config{Dir: "/run/lb", Frontends: []Frontend{
			{Name: "c", Bind: ap("198.51.100.1:80"), Check: Check{Interval: 1500 * time.Microsecond, Fall: -1, Rise: -1}},
			{Name: "h", Bind: ap("198.51.100.2:80"), Servers: []Server{
				{Name: "n1", Addr: ap("10.0.0.1:1"), CheckPath: "/healthz"},
				{Name: "n2", Addr: ap("10.0.0.2:1"), CheckPort: 2, CheckPath: "healthz now"},
				{Name: "n3", Addr: ap("10.0.0.3:1")},
			}},
		}}, []string{"check interval 1.5ms must be a positive whole number of milliseconds", "CheckPath /healthz needs a CheckPort",
			`CheckPath "healthz now" must start with /`, `server "n3": CheckPath "" differs from server "n1"'s "/healthz"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.cfg)
			if err == nil {
				t.Fatal("Render succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
