package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lblab/lblab/internal/proc"
)

// StartSpeakers runs `lblab speaker` in each eligible node's namespace of
// the lab, as the netns backend does, with the lab's kubeconfig, for self
// mode on a lab brought up with --controller none. Logs go to dir.
func StartSpeakers(bin, labName, kubeconfig, dir string, nodes []string) ([]*exec.Cmd, error) {
	var cmds []*exec.Cmd
	for _, n := range nodes {
		log, err := os.Create(filepath.Join(dir, "speaker-"+n+".log"))
		if err != nil {
			return cmds, err
		}
		cmd := exec.Command("ip", "netns", "exec", labName+"_"+n, bin, "speaker", "--node", n,
			"--kubeconfig", kubeconfig, "--metrics-addr", "")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			return cmds, fmt.Errorf("failed to start the speaker on %s: %w", n, err)
		}
		cmds = append(cmds, cmd)
	}
	return cmds, nil
}

// StopSpeakers stops what StartSpeakers started.
func StopSpeakers(cmds []*exec.Cmd) {
	for _, c := range cmds {
		c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range cmds {
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			c.Process.Kill()
		}
	}
}

// memory reads the memory of the controller's processes in the control
// plane's and the eligible nodes' namespaces. Processes in user-mode Linux
// guests are out of its sight.
func (b *bench) memory() []Memory {
	hosts := []string{"control-plane"}
	for _, n := range b.nodes {
		hosts = append(hosts, n.name)
	}
	var out []Memory
	for _, h := range hosts {
		pids, _ := proc.NetnsPIDs(b.o.Lab + "_" + h)
		for _, pid := range pids {
			if name := processName(pid, b.t.processes); name != "" {
				m := readMemory(pid)
				m.Process, m.Host, m.PID = name, h, pid
				out = append(out, m)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Process != out[j].Process {
			return slices.Index(b.t.processes, out[i].Process) < slices.Index(b.t.processes, out[j].Process)
		}
		return out[i].Host < out[j].Host
	})
	return out
}

// processName returns which of names pid runs: a binary of that name, or
// `lblab <name>`; "" when none.
func processName(pid int, names []string) string {
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	args := strings.Split(string(cmdline), "\x00")
	if b := filepath.Base(args[0]); slices.Contains(names, b) {
		return b
	}
	if len(args) > 1 && strings.Contains(filepath.Base(args[0]), "lblab") && slices.Contains(names, args[1]) {
		return args[1]
	}
	return ""
}

// readMemory reads a process's RSS, anonymous RSS and peak from its
// status and its PSS from smaps_rollup, in MiB.
func readMemory(pid int) Memory {
	var m Memory
	for _, f := range []string{"status", "smaps_rollup"} {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			fs := strings.Fields(l)
			if len(fs) < 2 {
				continue
			}
			kb, _ := strconv.ParseFloat(fs[1], 64)
			switch fs[0] {
			case "VmRSS:":
				m.RSS = kb / 1024
			case "RssAnon:":
				m.Anon = kb / 1024
			case "VmHWM:":
				m.Peak = kb / 1024
			case "Pss:":
				m.PSS = kb / 1024
			}
		}
	}
	return m
}
