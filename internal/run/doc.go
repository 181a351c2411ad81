// Package run executes external commands through an injectable Runner, so
// that code which drives ip, vtysh, iptables-save or docker can be unit
// tested with a Recorder instead of root privileges or a daemon.
//
// A failed command's error keeps its combined output, the way kind's exec
// package does, so callers can show users what the tool said.
package run
