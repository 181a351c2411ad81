package kind

import (
	"archive/tar"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/moby/moby/client"
)

// fakeEngine speaks enough of the Docker Engine API, on loopback, to test
// the moby wrapper without a daemon: the same client code, JSON and
// hijacked exec streams as against dockerd.
type fakeEngine struct {
	mu      sync.Mutex
	reqs    []string
	created map[string]any
	files   map[string]string
	execCmd []string
}

var apiVersion = regexp.MustCompile(`^/v[0-9.]+`)

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := apiVersion.ReplaceAllString(r.URL.Path, "")
	f.mu.Lock()
	f.reqs = append(f.reqs, r.Method+" "+path)
	f.mu.Unlock()
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case path == "/_ping":
		w.Header().Set("Api-Version", "1.51")
		_, _ = io.WriteString(w, "OK")
	case path == "/networks/kind":
		reply(200, map[string]any{"Name": "kind", "IPAM": map[string]any{"Config": []map[string]string{
			{"Subnet": "fc00:f853:ccd:e793::/64"}, {"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}}}})
	case strings.HasPrefix(path, "/networks/"):
		reply(404, map[string]string{"message": "network not found"})
	case path == "/containers/create":
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		body["name"] = r.URL.Query().Get("name")
		f.mu.Lock()
		f.created = body
		f.mu.Unlock()
		reply(201, map[string]any{"Id": "abc123", "Warnings": []string{}})
	case path == "/containers/lab-tor/archive" && r.Method == http.MethodPut:
		tr := tar.NewReader(r.Body)
		f.mu.Lock()
		f.files = map[string]string{}
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(tr)
			f.files[r.URL.Query().Get("path")+h.Name+fmt.Sprintf(" %o", h.Mode)] = string(data)
		}
		f.mu.Unlock()
		w.WriteHeader(200)
	case path == "/containers/lab-tor/exec":
		var body struct{ Cmd []string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.execCmd = body.Cmd
		f.mu.Unlock()
		reply(201, map[string]string{"Id": "exec1"})
	case path == "/exec/exec1/start":
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
		_, _ = io.CopyN(io.Discard, buf.Reader, r.ContentLength) // the start request's JSON body
		in, _ := io.ReadAll(buf.Reader)                          // stdin, until the client's CloseWrite
		frame(conn, 1, "got "+string(in))
		frame(conn, 2, "a warning\n")
	case path == "/exec/exec1/json":
		reply(200, map[string]any{"ID": "exec1", "Running": false, "ExitCode": 3})
	case path == "/containers/lab-tor/json":
		reply(200, map[string]any{"Id": "abc123", "Name": "/lab-tor",
			"Config": map[string]any{"Image": frrImage, "Labels": map[string]string{labelLab: "lab"}},
			"State":  map[string]any{"Running": true},
			"NetworkSettings": map[string]any{"Networks": map[string]any{
				"kind": map[string]string{"IPAddress": "172.18.0.5", "GlobalIPv6Address": "fc00:f853:ccd:e793::5"}}}})
	case path == "/containers/json":
		if !strings.Contains(r.URL.Query().Get("filters"), "dev.lblab.lab=lab") {
			reply(400, map[string]string{"message": "no label filter: " + r.URL.Query().Get("filters")})
			return
		}
		reply(200, []map[string]any{{"Id": "abc123", "Names": []string{"/lab-tor"}, "State": "running",
			"Labels": map[string]string{labelLab: "lab"}}})
	case path == "/containers/lab-tor" && r.Method == http.MethodDelete:
		w.WriteHeader(204)
	case path == "/containers/gone" && r.Method == http.MethodDelete:
		reply(404, map[string]string{"message": "No such container: gone"})
	case path == "/containers/gone/json":
		reply(404, map[string]string{"message": "No such container: gone"})
	case path == "/containers/sick/json":
		reply(500, map[string]string{"message": "the daemon is busy"})
	default:
		reply(500, map[string]string{"message": "fake engine: unexpected " + r.Method + " " + path})
	}
}

// frame writes one multiplexed-stream frame (1 stdout, 2 stderr).
func frame(w io.Writer, stream byte, s string) {
	hdr := make([]byte, 8)
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(s)))
	_, _ = w.Write(append(hdr, s...))
}

func TestMobyAgainstFakeEngine(t *testing.T) {
	f := &fakeEngine{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := client.New(client.WithHost("tcp://"+strings.TrimPrefix(srv.URL, "http://")), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	m := &moby{c: c}
	ctx := context.Background()
	if err := m.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	subnets, ok, err := m.Network(ctx, "kind")
	if err != nil || !ok || fmt.Sprint(subnets) != "[172.18.0.0/16 fc00:f853:ccd:e793::/64]" {
		t.Errorf("Network(kind) = %v %v %v (want IPv4 first)", subnets, ok, err)
	}
	if _, ok, err := m.Network(ctx, "nope"); ok || err != nil {
		t.Errorf("Network(nope) = %v, %v; want absent, no error", ok, err)
	}
	if _, err := m.CreateContainer(ctx, torSpec("lab", "kind")); err != nil {
		t.Fatal(err)
	}
	host := f.created["HostConfig"].(map[string]any)
	if f.created["name"] != "lab-tor" || host["NetworkMode"] != "kind" ||
		fmt.Sprint(host["CapAdd"]) != "[CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_ADMIN]" ||
		host["Sysctls"].(map[string]any)["net.ipv4.conf.all.send_redirects"] != "0" ||
		f.created["Labels"].(map[string]any)[labelLab] != "lab" || f.created["Image"] != frrImage {
		t.Errorf("create request = %v", f.created)
	}
	ep, _ := f.created["NetworkingConfig"].(map[string]any)["EndpointsConfig"].(map[string]any)["kind"].(map[string]any)
	if opts, _ := ep["DriverOpts"].(map[string]any); opts[endpointSysctlsOpt] != "net.ipv4.conf.IFNAME.send_redirects=0" {
		t.Errorf("the TOR's endpoint on kind = %v, want the per-interface send_redirects sysctl", ep)
	}
	if err := m.CopyFiles(ctx, "lab-tor", []file{{Path: "/etc/frr/daemons", Mode: 0o644, Data: []byte("bgpd=yes\n")}}); err != nil {
		t.Fatal(err)
	}
	if f.files["/etc/frr/daemons 644"] != "bgpd=yes\n" {
		t.Errorf("archive upload = %v", f.files)
	}
	res, err := m.Exec(ctx, "lab-tor", []string{"vtysh", "-c", "show bgp summary json"}, strings.NewReader("stdin data"))
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Stdout) != "got stdin data" || string(res.Stderr) != "a warning\n" || res.ExitCode != 3 ||
		strings.Join(f.execCmd, " ") != "vtysh -c show bgp summary json" {
		t.Errorf("Exec = %q %q exit %d (cmd %q)", res.Stdout, res.Stderr, res.ExitCode, f.execCmd)
	}
	info, err := m.Inspect(ctx, "lab-tor", "kind")
	if err != nil || !info.Running || info.Image != frrImage || fmt.Sprint(info.Addrs) != "[172.18.0.5 fc00:f853:ccd:e793::5]" {
		t.Errorf("Inspect = %+v, %v", info, err)
	}
	list, err := m.List(ctx, map[string]string{labelLab: "lab"})
	if err != nil || len(list) != 1 || list[0].Name != "lab-tor" || !list[0].Running {
		t.Errorf("List = %+v, %v", list, err)
	}
	if err := m.RemoveContainer(ctx, "lab-tor"); err != nil {
		t.Error(err)
	}
	if _, err := m.Inspect(ctx, "gone", "kind"); !errors.Is(err, errNoContainer) {
		t.Errorf("Inspect(gone) = %v, want errNoContainer", err)
	}
	if _, err := m.Inspect(ctx, "sick", "kind"); err == nil || errors.Is(err, errNoContainer) || !strings.Contains(err.Error(), "the daemon is busy") {
		t.Errorf("Inspect(sick) = %v, want the daemon's error, not errNoContainer", err)
	}
	if err := m.RemoveContainer(ctx, "gone"); err != nil {
		t.Errorf("removing an absent container: %v", err)
	}
}
