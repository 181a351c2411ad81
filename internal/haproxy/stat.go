package haproxy

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Stat is one row of HAProxy's `show stat`: a frontend, a backend, a
// server or a listener of a proxy.
type Stat struct {
	// Proxy is the frontend's or backend's name (they share it here).
	Proxy string `json:"proxy"`
	// Server is FRONTEND, BACKEND, a server's name or a listener's.
	Server string `json:"server"`
	// Type is frontend, backend, server or listener.
	Type string `json:"type"`
	// Addr is a server's address; zero for the other rows.
	Addr netip.AddrPort `json:"addr,omitzero"`
	// Status is as HAProxy prints it: UP, DOWN, MAINT, "no check",
	// "UP 1/2" (failing, not down yet), "DOWN 1/2" (recovering), OPEN for
	// a frontend …
	Status string `json:"status"`
	// CheckStatus is the last check's result (L4OK, L4CON, L7OK, L7STS,
	// …, without the "* " HAProxy puts before a check in progress);
	// CheckDesc is its words ("Layer4 connection problem").
	CheckStatus   string        `json:"checkStatus,omitempty"`
	CheckDesc     string        `json:"checkDesc,omitempty"`
	CheckDuration time.Duration `json:"checkDuration,omitempty"`
	// LastChange is how long ago the status last changed (second
	// precision).
	LastChange      time.Duration `json:"lastChange"`
	CurrentSessions uint64        `json:"currentSessions"`
	TotalSessions   uint64        `json:"totalSessions"`
	BytesIn         uint64        `json:"bytesIn"`
	BytesOut        uint64        `json:"bytesOut"`
}

// rowTypes are the values of the type column.
var rowTypes = map[string]string{"0": "frontend", "1": "backend", "2": "server", "3": "listener"}

// ShowStat reads `show stat` from the runtime API socket.
func ShowStat(ctx context.Context, socket string) ([]Stat, error) {
	out, err := command(ctx, socket, "show stat")
	if err != nil {
		return nil, err
	}
	return ParseStat(out)
}

// ParseStat parses `show stat` CSV by the header's column names, so it
// reads any HAProxy version's columns.
func ParseStat(data []byte) ([]Stat, error) {
	data = bytes.TrimPrefix(bytes.TrimLeft(data, "\n"), []byte("# "))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("show stat: empty answer (is this the stats socket?)")
		}
		return nil, fmt.Errorf("show stat: failed to read the header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, c := range []string{"pxname", "svname", "status", "type"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("show stat: the header has no %s column: %q", c, strings.Join(header, ","))
		}
	}
	var out []Stat
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("show stat: %w", err)
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		var perr error
		num := func(name string) uint64 {
			s := get(name)
			if s == "" || perr != nil {
				return 0
			}
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				perr = fmt.Errorf("show stat line %d: %s %q is not a number", line, name, s)
			}
			return n
		}
		s := Stat{
			Proxy:           get("pxname"),
			Server:          get("svname"),
			Type:            rowTypes[get("type")],
			Status:          get("status"),
			CheckStatus:     strings.TrimPrefix(get("check_status"), "* "),
			CheckDesc:       get("check_desc"),
			CheckDuration:   time.Duration(num("check_duration")) * time.Millisecond,
			LastChange:      time.Duration(num("lastchg")) * time.Second,
			CurrentSessions: num("scur"),
			TotalSessions:   num("stot"),
			BytesIn:         num("bin"),
			BytesOut:        num("bout"),
		}
		if perr != nil {
			return nil, perr
		}
		if s.Type == "" {
			return nil, fmt.Errorf("show stat line %d: unknown type %q", line, get("type"))
		}
		if a := get("addr"); a != "" && s.Type == "server" {
			ap, err := netip.ParseAddrPort(a)
			if err != nil {
				return nil, fmt.Errorf("show stat line %d: addr %q is not an address and port", line, a)
			}
			s.Addr = ap
		}
		out = append(out, s)
	}
}

// Find returns the row of proxy and server (FRONTEND, BACKEND or a
// server's name) of the given type, and whether there is one.
func Find(stats []Stat, typ, proxy, server string) (Stat, bool) {
	for _, s := range stats {
		if s.Type == typ && s.Proxy == proxy && s.Server == server {
			return s, true
		}
	}
	return Stat{}, false
}

// command sends one command to a non-interactive HAProxy CLI socket (the
// runtime API or the master CLI) and returns the whole answer.
func command(ctx context.Context, socket, cmd string) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, fmt.Errorf("failed to reach HAProxy at %s (is it running?): %w", socket, err)
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return nil, fmt.Errorf("failed to send %q to %s: %w", cmd, socket, err)
	}
	out, err := io.ReadAll(conn)
	if err != nil {
		return nil, fmt.Errorf("failed to read the answer to %q from %s: %w", cmd, socket, err)
	}
	return out, nil
}
