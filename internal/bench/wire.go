package bench

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// wireWatch runs tcpdump on the TOR's eth0 and records, for every prefix,
// when each speaker's first UPDATE announcing or withdrawing it crossed
// the wire (tcpdump's kernel capture timestamps).
type wireWatch struct {
	cmd       *exec.Cmd
	mu        sync.Mutex
	announced map[netip.Prefix]map[netip.Addr]time.Time
	withdrawn map[netip.Prefix]map[netip.Addr]time.Time
	updates   int
}

var (
	pktLine = regexp.MustCompile(`^(\d+)\.(\d{6}) IP6? `)
	tcpLine = regexp.MustCompile(`^\s+(\S+)\.\d+ > \S+\.179: `)
	// A prefix, with its path ID under add-path (OpenELB sends every
	// node's path): "    100.64.0.0/32   Path Id: 5".
	pfxLine = regexp.MustCompile(`^\s+([0-9a-fA-F.:]+/\d+)(?:\s+Path Id: \d+)?\s*$`)
)

func watchWire(ns string) (*wireWatch, error) {
	w := &wireWatch{announced: map[netip.Prefix]map[netip.Addr]time.Time{}, withdrawn: map[netip.Prefix]map[netip.Addr]time.Time{}}
	w.cmd = exec.Command("ip", "netns", "exec", ns, "tcpdump", "-i", "eth0", "-n", "-l", "-tt", "-v", "--immediate-mode", "-B", "16384", "tcp dst port 179")
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errOut, err := w.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start tcpdump in %s (apt-get install tcpdump): %w", ns, err)
	}
	ready := make(chan struct{})
	go func() {
		s := bufio.NewScanner(errOut)
		for s.Scan() {
			if strings.Contains(s.Text(), "listening on") {
				close(ready)
			}
		}
	}()
	go w.parse(out)
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		return nil, fmt.Errorf("tcpdump in %s did not start", ns)
	}
	return w, nil
}

func (w *wireWatch) parse(r io.Reader) {
	if path := os.Getenv("BENCH_WIRE_LOG"); path != "" {
		if f, err := os.Create(path); err == nil {
			r = io.TeeReader(r, f)
		}
	}
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	var (
		ts   time.Time
		src  netip.Addr
		mode string // "announce", "withdraw" or ""
	)
	for s.Scan() {
		line := s.Text()
		if m := pktLine.FindStringSubmatch(line); m != nil {
			sec, _ := strconv.ParseInt(m[1], 10, 64)
			usec, _ := strconv.ParseInt(m[2], 10, 64)
			ts, mode = time.Unix(sec, usec*1000), ""
			continue
		}
		if m := tcpLine.FindStringSubmatch(line); m != nil {
			src, _ = netip.ParseAddr(m[1])
			continue
		}
		switch {
		case strings.Contains(line, "Update Message"):
			w.mu.Lock()
			w.updates++
			w.mu.Unlock()
			mode = ""
		case strings.Contains(line, "Updated routes:"), strings.Contains(line, "Multi-Protocol Reach NLRI"):
			mode = "announce"
		case strings.Contains(line, "Withdrawn routes:"), strings.Contains(line, "Multi-Protocol Unreach NLRI"):
			mode = "withdraw"
		default:
			m := pfxLine.FindStringSubmatch(line)
			if m == nil {
				if !strings.Contains(line, "nexthop:") && !strings.Contains(line, "End-of-Rib") {
					mode = ""
				}
				continue
			}
			p, err := netip.ParsePrefix(m[1])
			if err != nil || mode == "" {
				continue
			}
			w.record(mode, p, src, ts)
		}
	}
}

func (w *wireWatch) record(mode string, p netip.Prefix, src netip.Addr, ts time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.announced
	if mode == "withdraw" {
		m = w.withdrawn
	}
	if m[p] == nil {
		m[p] = map[netip.Addr]time.Time{}
	}
	if _, ok := m[p][src]; !ok {
		m[p][src] = ts
	}
}

func (w *wireWatch) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.announced)
	clear(w.withdrawn)
}

// first returns the earliest and the latest speaker's first UPDATE for p,
// and from how many speakers.
func (w *wireWatch) first(p netip.Prefix, withdraw bool) (earliest, latest time.Time, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.announced[p]
	if withdraw {
		m = w.withdrawn[p]
	}
	for _, t := range m {
		if earliest.IsZero() || t.Before(earliest) {
			earliest = t
		}
		if t.After(latest) {
			latest = t
		}
	}
	return earliest, latest, len(m)
}

func (w *wireWatch) stop() {
	if w.cmd.Process != nil {
		w.cmd.Process.Kill()
		w.cmd.Wait()
	}
}
