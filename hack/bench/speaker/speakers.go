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
// whoever started them.
func speakerPIDs(lab string, nodes []benchNode) map[string]int {
	out := map[string]int{}
	for _, n := range nodes {
		pids, _ := proc.NetnsPIDs(lab + "_" + n.name)
		for _, pid := range pids {
			cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			args := strings.Split(string(cmdline), "\x00")
			for i, a := range args {
				if a == "speaker" && i > 0 && strings.HasSuffix(args[i-1], "lblab") {
					out[n.name] = pid
				}
			}
		}
	}
	return out
}

// rss returns a process's resident and peak resident memory in MiB.
func rss(pid int) (cur, peak float64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return cur, peak
}
