package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lblab/lblab/internal/proc"
)

// startSpeakers runs `lblab speaker` in each node's namespace, as the
// netns backend does, with the given kubeconfig. Logs go to dir.
func startSpeakers(bin, lab, kubeconfig, dir string, nodes []benchNode) ([]*exec.Cmd, error) {
	var cmds []*exec.Cmd
	for _, n := range nodes {
		log, err := os.Create(filepath.Join(dir, "speaker-"+n.name+".log"))
		if err != nil {
			return cmds, err
		}
		cmd := exec.Command("ip", "netns", "exec", lab+"_"+n.name, bin, "speaker", "--node", n.name,
			"--kubeconfig", kubeconfig, "--metrics-addr", "")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			return cmds, fmt.Errorf("failed to start the speaker on %s: %w", n.name, err)
		}
		cmds = append(cmds, cmd)
	}
	return cmds, nil
}

func stopSpeakers(cmds []*exec.Cmd) {
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

// speakerPIDs finds the speaker processes in the nodes' namespaces,
// whoever started them: `lblab speaker`, or MetalLB's speaker binary.
func speakerPIDs(lab string, nodes []benchNode) map[string]int {
	out := map[string]int{}
	for _, n := range nodes {
		if pid := findProcess(lab+"_"+n.name, "speaker"); pid > 0 {
			out[n.name] = pid
		}
	}
	return out
}

// controllerPID finds the controller process in the control plane's
// namespace: `lblab controller`, or MetalLB's controller binary; 0 when
// none runs.
func controllerPID(lab string) int { return findProcess(lab+"_control-plane", "controller") }

// findProcess returns a process of namespace ns that runs `lblab <role>`
// or a binary named <role> or metallb-<role> (MetalLB's images run
// /controller and /speaker; `--controller metallb` runs metallb-<role>).
func findProcess(ns, role string) int {
	pids, _ := proc.NetnsPIDs(ns)
	for _, pid := range pids {
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		args := strings.Split(string(cmdline), "\x00")
		if b := filepath.Base(args[0]); b == role || b == "metallb-"+role {
			return pid
		}
		for i, a := range args {
			if a == role && i > 0 && strings.Contains(filepath.Base(args[i-1]), "lblab") {
				return pid
			}
		}
	}
	return 0
}

// memory is a process's memory in MiB: resident (RSS), its anonymous and
// file-backed parts, the peak RSS, and the proportional set size (PSS:
// pages shared with other processes, such as the lblab binary's text in
// the page cache, divided among them).
type memory struct{ rss, anon, file, peak, pss float64 }

func readMemory(pid int) memory {
	var m memory
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
				m.rss = kb / 1024
			case "RssAnon:":
				m.anon = kb / 1024
			case "RssFile:":
				m.file = kb / 1024
			case "VmHWM:":
				m.peak = kb / 1024
			case "Pss:":
				m.pss = kb / 1024
			}
		}
	}
	return m
}
