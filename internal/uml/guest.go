package uml

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
)

// Guest is what a guest's init needs to become a lab node. The host
// writes it into the lab's state directory before the boot; `lblab
// guest-init` reads it through hostfs.
type Guest struct {
	Lab  string `json:"lab"`
	Node string `json:"node"`
	// Addrs go on eth0 (the tap's far end), Gateways become default routes.
	Addrs    []netip.Prefix `json:"addrs"`
	Gateways []netip.Addr   `json:"gateways"`
	// ModulesDir holds the guest kernel's modules; Modules are loaded
	// (with their dependencies) before anything else.
	ModulesDir   string            `json:"modulesDir"`
	Modules      []string          `json:"modules"`
	ModuleParams map[string]string `json:"moduleParams,omitempty"`
	// Sysctls are "key=value" pairs written under /proc/sys.
	Sysctls []string `json:"sysctls,omitempty"`
	// StateDir is mounted read-write at the same path (logs, units).
	StateDir string `json:"stateDir"`
	// HostFiles are host files the guest's own /tmp, /run or /dev would
	// hide (an lblab binary in /tmp), bound read-only at the same path.
	HostFiles []string `json:"hostFiles,omitempty"`
	// LegacyIPTables points iptables, ip6tables and their -save/-restore
	// at the legacy (x_tables) binaries: the guest kernel has no
	// nf_tables for the ip and ip6 families.
	LegacyIPTables bool `json:"legacyIPTables,omitempty"`
	// Env is added to the environment of every process in the guest.
	Env []string `json:"env,omitempty"`
	// SSH: the server's host key and the one client key it accepts.
	SSHPort          int    `json:"sshPort"`
	SSHHostKey       string `json:"sshHostKey"`
	SSHAuthorizedKey string `json:"sshAuthorizedKey"`
	// Units is the file holding the node's supervised processes
	// (internal/supervise), read at boot and on every reload.
	Units string `json:"units"`
	// Supervisor is the socket the node's supervisor listens on, inside
	// the guest.
	Supervisor string `json:"supervisor"`
}

// ConfigEnv names the environment variable that holds the path of a
// guest's Guest file, set on its kernel command line.
const ConfigEnv = "LBLAB_GUEST_CONFIG"

// WriteGuest writes g as JSON to path.
func WriteGuest(path string, g Guest) error {
	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// ReadGuest reads a Guest written by WriteGuest.
func ReadGuest(path string) (Guest, error) {
	var g Guest
	data, err := os.ReadFile(path)
	if err != nil {
		return g, err
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return g, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	return g, nil
}
