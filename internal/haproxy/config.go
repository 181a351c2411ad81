package haproxy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Check tunes the active health checks of a frontend's servers: one every
// Interval, Fall failures in a row mark a server DOWN and Rise successes
// UP again. Zero fields take HAProxy's defaults (2s, 3, 2).
type Check struct {
	Interval   time.Duration
	Fall, Rise int
}

// DefaultCheck is HAProxy's own default: inter 2s fall 3 rise 2.
var DefaultCheck = Check{Interval: 2 * time.Second, Fall: 3, Rise: 2}

// Server is one backend server of a frontend.
type Server struct {
	Name string
	Addr netip.AddrPort
	// CheckPort is where the health check goes; 0 checks Addr itself.
	CheckPort uint16
	// CheckPath makes the check an HTTP GET of this path on CheckPort
	// (which it needs), up on status 200: kube-proxy's
	// healthCheckNodePort answers /healthz that way. "" is a TCP connect
	// check. All servers of a frontend share one path (one backend has one
	// kind of check).
	CheckPath string
}

// Frontend is a TCP listener forwarding to its own roundrobin backend,
// named like the frontend.
type Frontend struct {
	Name    string
	Bind    netip.AddrPort
	Servers []Server
	Check   Check
}

// Config is everything in one haproxy.cfg. Dir holds the file and the
// runtime files beside it (see the path methods).
type Config struct {
	Dir       string
	Frontends []Frontend
}

// File names inside Config.Dir.
const (
	ConfigFile   = "haproxy.cfg"
	StatsSocket  = "haproxy.sock"
	MasterSocket = "master.sock"
	PIDFile      = "haproxy.pid"
	LogFile      = "haproxy.log"
)

// Path returns the path of haproxy.cfg.
func (c Config) Path() string { return filepath.Join(c.Dir, ConfigFile) }

// StatsSocket returns the path of the runtime API (stats) socket.
func (c Config) StatsSocket() string { return filepath.Join(c.Dir, StatsSocket) }

// MasterSocket returns the path of the master CLI socket.
func (c Config) MasterSocket() string { return filepath.Join(c.Dir, MasterSocket) }

// maxSocketPath is the longest path a Unix socket can be bound to
// (sun_path is 108 bytes with the terminating NUL).
const maxSocketPath = 107

// nameRE is what HAProxy accepts in proxy and server names.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// Render returns the haproxy.cfg of c. The output depends only on c's
// content: frontends and servers are sorted by name.
func Render(c Config) ([]byte, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	fes := slices.Clone(c.Frontends)
	slices.SortFunc(fes, func(a, b Frontend) int { return cmp.Compare(a.Name, b.Name) })
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Written by lblab; it is replaced on every change.")
	// No daemon, chroot or user: the process runs in the foreground as a
	// child of the controller, as root inside the lab host's namespace.
	w("global")
	w("    stats socket %s mode 600 level admin expose-fd listeners", c.StatsSocket())
	w("    stats timeout 30s")
	w("    pidfile %s", filepath.Join(c.Dir, PIDFile))
	// Health carried across reloads (see StateFile).
	w("    server-state-file %s", c.StatePath())
	// A lab's load; it also keeps the FD limit HAProxy needs (about
	// twice this) under common hard limits.
	w("    maxconn 4096")
	// Old workers keep their sessions after a reload, but not forever.
	w("    hard-stop-after 30s")
	w("")
	w("defaults")
	w("    mode tcp")
	w("    load-server-state-from-file global")
	w("    timeout connect 5s")
	w("    timeout client 1m")
	w("    timeout server 1m")
	w("    timeout queue 5s")
	for _, fe := range fes {
		chk := fe.Check.withDefaults()
		w("")
		w("frontend %s", fe.Name)
		// transparent (IP_TRANSPARENT, falling back to IP_FREEBIND) lets
		// the bind succeed before the LB IP is on the interface: the
		// controller adds the addresses and reloads in one pass, and an
		// address can be missing for a moment without HAProxy refusing
		// the whole configuration. HAProxy 2.6 has no separate freebind
		// keyword; transparent is the bind option that sets it. Once the
		// address is local, packets reach the socket the ordinary way.
		w("    bind %s transparent", fe.Bind)
		w("    default_backend %s", fe.Name)
		w("")
		w("backend %s", fe.Name)
		w("    balance roundrobin")
		srvs := slices.Clone(fe.Servers)
		slices.SortFunc(srvs, func(a, b Server) int { return cmp.Compare(a.Name, b.Name) })
		if len(srvs) > 0 && srvs[0].CheckPath != "" {
			w("    option httpchk GET %s", srvs[0].CheckPath)
			w("    http-check expect status 200")
		}
		for _, s := range srvs {
			line := fmt.Sprintf("    server %s %s check inter %s fall %d rise %d", s.Name, s.Addr, duration(chk.Interval), chk.Fall, chk.Rise)
			if s.CheckPort != 0 {
				line += fmt.Sprintf(" port %d", s.CheckPort)
			}
			w("%s", line)
		}
	}
	return b.Bytes(), nil
}

func (c Check) withDefaults() Check {
	if c.Interval == 0 {
		c.Interval = DefaultCheck.Interval
	}
	if c.Fall == 0 {
		c.Fall = DefaultCheck.Fall
	}
	if c.Rise == 0 {
		c.Rise = DefaultCheck.Rise
	}
	return c
}

// duration writes d the way HAProxy reads it: whole seconds or
// milliseconds.
func duration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

func (c Check) validate() error {
	switch {
	case c.Interval < 0 || c.Interval%time.Millisecond != 0:
		return fmt.Errorf("check interval %s must be a positive whole number of milliseconds", c.Interval)
	case c.Fall < 0:
		return fmt.Errorf("check fall %d must be 1 or more (0 takes the default %d)", c.Fall, DefaultCheck.Fall)
	case c.Rise < 0:
		return fmt.Errorf("check rise %d must be 1 or more (0 takes the default %d)", c.Rise, DefaultCheck.Rise)
	}
	return nil
}

// validate reports every problem of c at once.
func (c Config) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case c.Dir == "":
		add("config: Dir is empty; HAProxy needs a directory for haproxy.cfg and its sockets")
	case !filepath.IsAbs(c.Dir):
		add("config: Dir %q must be an absolute path", c.Dir)
	case strings.ContainsAny(c.Dir, " \t\n\"'#\\"):
		add("config: Dir %q has a space, quote, # or backslash, which haproxy.cfg cannot hold unquoted", c.Dir)
	case len(filepath.Join(c.Dir, MasterSocket)) > maxSocketPath:
		add("config: Dir %q is too long for a Unix socket path (%d bytes at most with /%s); use a shorter directory",
			c.Dir, maxSocketPath-len(MasterSocket)-1, MasterSocket)
	}
	names := map[string]bool{}
	binds := map[netip.AddrPort]string{}
	for i, fe := range c.Frontends {
		where := fmt.Sprintf("frontend %q", fe.Name)
		switch {
		case fe.Name == "":
			where = fmt.Sprintf("frontends[%d]", i)
			add("%s: no name", where)
		case !nameRE.MatchString(fe.Name):
			add("%s: a name may only hold letters, digits, '_', '-', '.' and ':'", where)
		case names[fe.Name]:
			add("%s: the name is used twice", where)
		}
		names[fe.Name] = true
		if err := checkAddrPort(fe.Bind, true); err != nil {
			add("%s: bind: %v", where, err)
		} else if other, ok := binds[fe.Bind]; ok {
			add("%s: bind %s is also frontend %q's", where, fe.Bind, other)
		} else {
			binds[fe.Bind] = fe.Name
		}
		if err := fe.Check.validate(); err != nil {
			add("%s: %v", where, err)
		}
		servers := map[string]bool{}
		for j, s := range fe.Servers {
			swhere := fmt.Sprintf("%s: server %q", where, s.Name)
			switch {
			case s.Name == "":
				swhere = fmt.Sprintf("%s: servers[%d]", where, j)
				add("%s: no name", swhere)
			case !nameRE.MatchString(s.Name):
				add("%s: a name may only hold letters, digits, '_', '-', '.' and ':'", swhere)
			case servers[s.Name]:
				add("%s: the name is used twice in this frontend", swhere)
			}
			servers[s.Name] = true
			if err := checkAddrPort(s.Addr, false); err != nil {
				add("%s: %v", swhere, err)
			} else if fe.Bind.IsValid() && s.Addr.Addr().Is4() != fe.Bind.Addr().Is4() {
				add("%s: address %s is not of the family of bind %s; one frontend forwards within one IP family", swhere, s.Addr, fe.Bind)
			}
			if s.CheckPath != "" {
				if s.CheckPort == 0 {
					add("%s: CheckPath %s needs a CheckPort", swhere, s.CheckPath)
				}
				if !strings.HasPrefix(s.CheckPath, "/") || strings.ContainsAny(s.CheckPath, " \t\r\n\"'#\\") {
					add("%s: CheckPath %q must start with / and hold no space, quote, # or backslash", swhere, s.CheckPath)
				}
			}
			if s.CheckPath != fe.Servers[0].CheckPath {
				add("%s: CheckPath %q differs from server %q's %q; all servers of a frontend share one kind of check",
					swhere, s.CheckPath, fe.Servers[0].Name, fe.Servers[0].CheckPath)
			}
		}
	}
	return errors.Join(errs...)
}

// checkAddrPort checks one address and port; a bind may be on the
// unspecified address, a server may not.
func checkAddrPort(ap netip.AddrPort, bind bool) error {
	a := ap.Addr()
	switch {
	case !ap.IsValid():
		return errors.New("no address")
	case a.Is4In6():
		return fmt.Errorf("%s is an IPv4-mapped IPv6 address; write the IPv4 address", ap)
	case a.Zone() != "":
		return fmt.Errorf("%s has a zone; link-local addresses are not supported", ap)
	case a.IsUnspecified() && !bind:
		return fmt.Errorf("%s is the unspecified address", ap)
	case ap.Port() == 0:
		return fmt.Errorf("%s has no port", ap)
	}
	return nil
}
