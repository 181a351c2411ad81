package bgp

import (
	"fmt"
	"os"
)

// GoBGP v4.8.0 sends the machine's host name in the hostname capability
// of every OPEN (capabilitiesFromConfig in pkg/server/fsm.go calls
// os.Hostname), with no setting to change it. Netns lab nodes share the
// machine's UTS namespace, so every speaker would show the TOR the same
// name. UseHostname gives the process a UTS namespace of its own instead.

// envHostname marks a process UseHostname has re-executed, so that it
// never does it twice.
const envHostname = "LBLAB_SPEAKER_HOSTNAME"

// maxHostname is the kernel's HOST_NAME_MAX.
const maxHostname = 64

// UseHostname makes name the host name of this process, and so the name
// GoBGP sends peers in its hostname capability: FRR shows it as the
// neighbour's hostname. Call it first thing in main, before the process
// does any work: when the host name differs, it moves the process into a
// new UTS namespace named name by re-executing the program in place (same
// process ID, arguments and environment), so it returns nil only when the
// name was right already. It needs CAP_SYS_ADMIN; without it the error
// says so and the machine's name stays.
func UseHostname(name string) error {
	cur, err := os.Hostname()
	switch {
	case name == "" || err == nil && cur == name:
		return nil
	case len(name) > maxHostname:
		return fmt.Errorf("node name %s is longer than a host name may be (%d bytes)", name, maxHostname)
	case os.Getenv(envHostname) == name:
		return fmt.Errorf("host name is %s, not %s, after re-executing in a UTS namespace of its own", cur, name)
	}
	return reexecNamed(name, cur)
}
