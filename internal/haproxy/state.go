package haproxy

import (
	"bytes"
	"context"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
)

// StateFile holds the servers' health across a reload (HAProxy's
// server-state-file). A new worker starts every server UP, one failed
// check from DOWN, so without it a reload (any Service change) would send
// traffic to nodes the old worker had found dead until their checks fail
// again.
const StateFile = "server-state"

// StatePath returns the path of the server state file.
func (c Config) StatePath() string { return filepath.Join(c.Dir, StateFile) }

// saveState writes `show servers state` of the running worker, keeping
// only the servers the next configuration has at the same address and
// port: HAProxy matches state lines by backend and server name, and a
// NodePort that changed under the same name is a new server to check.
func saveState(ctx context.Context, cfg Config) error {
	out, err := command(ctx, cfg.StatsSocket(), "show servers state")
	if err != nil {
		return err
	}
	return writeFile(cfg.StatePath(), FilterState(out, cfg))
}

// FilterState keeps the version line, the header and the state lines of
// servers cfg has with the same address and port.
func FilterState(state []byte, cfg Config) []byte {
	want := map[string]netip.AddrPort{}
	for _, fe := range cfg.Frontends {
		for _, s := range fe.Servers {
			want[fe.Name+"/"+s.Name] = s.Addr
		}
	}
	var out bytes.Buffer
	var col map[string]int
	for i, line := range strings.Split(string(state), "\n") {
		switch {
		case i == 0:
			out.WriteString(line + "\n") // the format version
			continue
		case strings.HasPrefix(line, "# "):
			col = map[string]int{}
			for j, h := range strings.Fields(strings.TrimPrefix(line, "# ")) {
				col[h] = j
			}
			out.WriteString(line + "\n")
			continue
		case strings.TrimSpace(line) == "" || col == nil:
			continue
		}
		f := strings.Fields(line)
		get := func(name string) string {
			if j, ok := col[name]; ok && j < len(f) {
				return f[j]
			}
			return ""
		}
		addr, err := netip.ParseAddr(get("srv_addr"))
		port, perr := strconv.ParseUint(get("srv_port"), 10, 16)
		if err != nil || perr != nil {
			continue
		}
		if w, ok := want[get("be_name")+"/"+get("srv_name")]; ok && w == netip.AddrPortFrom(addr, uint16(port)) {
			out.WriteString(line + "\n")
		}
	}
	return out.Bytes()
}
