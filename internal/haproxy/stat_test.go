package haproxy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseStat reads the show stat answers captured from the real
// HAProxy 2.6 (testdata/README.md).
func TestParseStat(t *testing.T) {
	for _, tt := range []struct{ family, loopback string }{{"ipv4", "127.0.0.1"}, {"ipv6", "::1"}} {
		t.Run(tt.family, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "show-stat-"+tt.family+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			stats, err := ParseStat(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(stats) != 8 {
				t.Fatalf("%d rows, want 8 (2 frontends, 2 backends, 4 servers): %+v", len(stats), stats)
			}
			want := []struct{ proxy, server, typ, status, check string }{
				{"tcp_" + tt.family, "FRONTEND", "frontend", "OPEN", ""},
				{"tcp_" + tt.family, "a1", "server", "DOWN", "L4CON"},
				{"tcp_" + tt.family, "a2", "server", "UP", "L4OK"},
				{"tcp_" + tt.family, "BACKEND", "backend", "UP", ""},
				{"http_" + tt.family, "FRONTEND", "frontend", "OPEN", ""},
				{"http_" + tt.family, "b1", "server", "DOWN", "L7STS"},
				{"http_" + tt.family, "b2", "server", "UP", "L7OK"},
				{"http_" + tt.family, "BACKEND", "backend", "UP", ""},
			}
			for _, w := range want {
				s, ok := Find(stats, w.typ, w.proxy, w.server)
				if !ok {
					t.Errorf("no %s row %s/%s", w.typ, w.proxy, w.server)
					continue
				}
				if s.Status != w.status || s.CheckStatus != w.check {
					t.Errorf("%s/%s: status %q check %q, want %q %q", w.proxy, w.server, s.Status, s.CheckStatus, w.status, w.check)
				}
				if (w.typ == "server") != s.Addr.IsValid() {
					t.Errorf("%s/%s: addr %v", w.proxy, w.server, s.Addr)
				}
				if s.Addr.IsValid() && (s.Addr.Addr().String() != tt.loopback || s.Addr.Port() == 0) {
					t.Errorf("%s/%s: addr %v, want %s and a port", w.proxy, w.server, s.Addr, tt.loopback)
				}
			}
			a2, _ := Find(stats, "server", "tcp_"+tt.family, "a2")
			if a2.TotalSessions == 0 || a2.BytesIn == 0 {
				t.Errorf("a2 carried the test's connections, but its counters are %+v", a2)
			}
			b1, _ := Find(stats, "server", "http_"+tt.family, "b1")
			if b1.CheckDesc != "Layer7 wrong status" {
				t.Errorf("b1 check desc %q", b1.CheckDesc)
			}
			// JSON round trip: what `lblab probe haproxy` prints and checks read.
			out, err := json.Marshal(stats)
			if err != nil {
				t.Fatal(err)
			}
			var back []Stat
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, stats) {
				t.Errorf("JSON round trip changed the stats:\n%s", out)
			}
			if strings.Contains(string(out), `"addr":""`) {
				t.Errorf("frontend rows print an empty addr: %s", out)
			}
		})
	}
}

func TestParseStatByName(t *testing.T) {
	// Columns in another order, one HAProxy has not got yet, a check in
	// progress ("* ").
	data := "# svname,newcol,pxname,type,status,check_status,check_duration,lastchg,scur,stot,addr,\n" +
		"n1,x,web,2,UP,* L7OK,3,65,1,9,10.0.0.1:30080,\n"
	stats, err := ParseStat([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{Proxy: "web", Server: "n1", Type: "server", Addr: ap("10.0.0.1:30080"), Status: "UP", CheckStatus: "L7OK",
		CheckDuration: 3 * time.Millisecond, LastChange: 65 * time.Second, CurrentSessions: 1, TotalSessions: 9}
	if len(stats) != 1 || stats[0] != want {
		t.Errorf("got %+v\nwant %+v", stats, want)
	}
	for _, bad := range []struct{ data, want string }{
		{"", "empty answer"},
		{"# pxname,svname,type\nweb,n1,2\n", "no status column"},
		{"# pxname,svname,type,status,stot\nweb,n1,2,UP,many\n", `line 2: stot "many" is not a number`},
		{"# pxname,svname,type,status\nweb,n1,9,UP\n", `unknown type "9"`},
		{"Unknown command. Please enter one of the following commands only :\n", "no pxname column"},
	} {
		if _, err := ParseStat([]byte(bad.data)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseStat(%q) = %v, want %q", bad.data, err, bad.want)
		}
	}
}

func TestParseProc(t *testing.T) {
	out := `#<PID>          <type>          <reloads>       <uptime>        <version>      
3767            master          1 [failed: 2]   0d00h00m12s     2.6.12-1+deb12u4
# workers
4303            worker          0               0d00h00m01s     2.6.12-1+deb12u4
# old workers
3770            worker          1               0d00h00m12s     2.6.12-1+deb12u4
# programs

`
	p, err := parseProc(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.master != 3767 || p.reloads != 1 || p.failed != 2 || !reflect.DeepEqual(p.workers, []int{4303}) {
		t.Errorf("parseProc = %+v", p)
	}
	if _, err := parseProc("Unknown command.\n"); err == nil {
		t.Error("parseProc took an answer without a master")
	}
}
