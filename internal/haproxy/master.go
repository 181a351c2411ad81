package haproxy

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Validate checks the configuration file cfgPath with `haproxy -c`; the
// error carries HAProxy's alerts.
func Validate(ctx context.Context, binary, cfgPath string) error {
	out, err := exec.CommandContext(ctx, binary, "-c", "-f", cfgPath).CombinedOutput()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("haproxy -c -f %s: %w", cfgPath, context.Cause(ctx))
	}
	if _, ok := err.(*exec.ExitError); !ok {
		return fmt.Errorf("failed to run %s (is HAProxy installed? pass its path): %w", binary, err)
	}
	return fmt.Errorf("haproxy -c -f %s refused the configuration: %s", cfgPath, alerts(string(out)))
}

// alerts returns HAProxy's [ALERT] lines from its output, one per line,
// or the whole output when it has none.
func alerts(out string) string {
	var keep []string
	for l := range strings.Lines(out) {
		if strings.Contains(l, "[ALERT]") {
			// "[ALERT]    (1234) : config : parsing [...]" → the message.
			if _, msg, ok := strings.Cut(l, ") : "); ok {
				l = msg
			}
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	if len(keep) == 0 {
		return strings.TrimSpace(out)
	}
	return strings.Join(keep, "; ")
}

// procs is what the master CLI's `show proc` says.
type procs struct {
	master  int
	reloads int
	failed  int   // failed reloads, counted by the master
	workers []int // current workers (not the old ones finishing)
}

// showProc asks the master CLI for its processes.
func showProc(ctx context.Context, socket string) (procs, error) {
	out, err := command(ctx, socket, "show proc\nquit")
	if err != nil {
		return procs{}, err
	}
	return parseProc(string(out))
}

// parseProc parses `show proc` of HAProxy 2.6:
//
//	#<PID>          <type>          <reloads>       <uptime>        <version>
//	3767            master          1 [failed: 0]   0d00h00m12s     2.6.12-1+deb12u4
//	# workers
//	4303            worker          0               0d00h00m01s     2.6.12-1+deb12u4
//	# old workers
//	…
func parseProc(out string) (procs, error) {
	var p procs
	section := ""
	for l := range strings.Lines(out) {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			section = strings.TrimSpace(strings.TrimPrefix(l, "#"))
			continue
		}
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		switch {
		case f[1] == "master":
			p.master = pid
			p.reloads, _ = strconv.Atoi(f[2])
			if i := strings.Index(l, "[failed: "); i >= 0 {
				p.failed, _ = strconv.Atoi(strings.TrimRight(strings.Fields(l[i+len("[failed: "):])[0], "]"))
			}
		case f[1] == "worker" && section == "workers":
			p.workers = append(p.workers, pid)
		}
	}
	if p.master == 0 {
		return procs{}, fmt.Errorf("the master CLI's show proc has no master line: %q", out)
	}
	return p, nil
}

// workerPID returns the Pid line of the runtime API's `show info`: the
// worker that answers the stats socket.
func workerPID(ctx context.Context, socket string) (int, error) {
	out, err := command(ctx, socket, "show info")
	if err != nil {
		return 0, err
	}
	for l := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(l, "Pid:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("show info on %s has no Pid line", socket)
}
