package frr

import "path/filepath"

// Daemons are the FRR daemons a TOR runs, in start order (zebra first: the
// others connect to it).
var Daemons = []string{"zebra", "bgpd", "staticd", "bfdd"}

// DaemonDir is where Debian installs FRR's daemons.
const DaemonDir = "/usr/lib/frr"

// Instance is one FRR instance: its config and runtime directory.
type Instance struct {
	// Dir holds frr.conf, the vty sockets, zserv.api, pid files and the log.
	// It must be owned by frr:frr.
	Dir string
}

// ConfigPath is the instance's frr.conf.
func (i Instance) ConfigPath() string { return filepath.Join(i.Dir, "frr.conf") }

// LogPath is the instance's log file.
func (i Instance) LogPath() string { return filepath.Join(i.Dir, "frr.log") }

// PIDFile is the pid file of one daemon.
func (i Instance) PIDFile(daemon string) string { return filepath.Join(i.Dir, daemon+".pid") }

// DaemonArgs returns the command line that starts one daemon in the
// background with this instance's private paths. The vty TCP port is off
// (-P 0): vtysh talks to the daemons over the sockets in Dir.
func (i Instance) DaemonArgs(daemon string) []string {
	return []string{
		filepath.Join(DaemonDir, daemon), "-d", "-P", "0",
		"-f", i.ConfigPath(),
		"-i", i.PIDFile(daemon),
		"--vty_socket", i.Dir,
		"-z", filepath.Join(i.Dir, "zserv.api"),
	}
}

// VtyshArgs returns the arguments that point vtysh at this instance.
func (i Instance) VtyshArgs() []string { return []string{"--vty_socket", i.Dir} }
