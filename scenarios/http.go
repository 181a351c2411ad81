package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/lblab/lblab/internal/lab"
)

// NginxWelcome is what every answer must contain.
const NginxWelcome = "Welcome to nginx!"

// Response headers the netns node agent adds to every nginx answer.
const (
	headerPod  = "X-Lblab-Pod"
	headerNode = "X-Lblab-Node"
)

// Batch is N requests from one host to one URL.
type Batch struct {
	Source string `json:"source"`
	URL    string `json:"url"`
	Sent   int    `json:"sent"`
	OK     int    `json:"ok"`
	// Failures counts failed requests by reason.
	Failures map[string]int `json:"failures,omitempty"`
	// Pods and Nodes count answers by the backend that gave them, from the
	// X-Lblab-Pod / X-Lblab-Node headers (empty when the backend does not
	// add them, as on kind).
	Pods  map[string]int `json:"pods,omitempty"`
	Nodes map[string]int `json:"nodes,omitempty"`
	// Sample is the start of one answer's body.
	Sample string `json:"sample,omitempty"`
}

// URL returns http://ip:port/ with IPv6 brackets.
func URL(ip netip.Addr, port uint16) string {
	return "http://" + netip.AddrPortFrom(ip, port).String() + "/"
}

// wgetScript sends n requests with wget (GNU or busybox: GNU's retries are
// turned off, busybox has none) and marks each answer and exit status.
func wgetScript(url string, n int, timeoutSec int) string {
	return fmt.Sprintf(`T=""; wget --version >/dev/null 2>&1 && T="-t 1"
i=0; while [ $i -lt %d ]; do i=$((i+1)); echo "@@lblab-begin"; wget -S -q -O - -T %d $T '%s' 2>&1; echo "@@lblab-end $?"; done`, n, timeoutSec, url)
}

// Fetch sends n requests from h to url in one shell and parses the answers.
// When the shell fails (it could not start, or the deadline cut it short),
// it returns the batch of the requests that ran and an error that says how
// many did: a batch of fewer than n requests is no verdict on n.
func Fetch(ctx context.Context, h lab.Node, url string, n, timeoutSec int) (Batch, error) {
	out, err := h.Command(ctx, "sh", "-c", wgetScript(url, n, timeoutSec))
	b := ParseBatch(string(out))
	b.Source, b.URL = h.Name, url
	if err != nil {
		return b, fmt.Errorf("failed to run wget on %s: %d of %d requests to %s ran: %w", h.Name, b.Sent, n, url, err)
	}
	return b, nil
}

// fetchAtOnce sends n requests from h to url at the same time, one shell
// each, and sums them in one batch: for requests expected to wait out their
// timeout, which one after the other would take n timeouts.
func fetchAtOnce(ctx context.Context, h lab.Node, url string, n, timeoutSec int) (Batch, error) {
	bs, errs := make([]Batch, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bs[i], errs[i] = Fetch(ctx, h, url, 1, timeoutSec)
		}()
	}
	wg.Wait()
	sum := Batch{Source: h.Name, URL: url}
	for _, b := range bs {
		sum.add(b)
	}
	return sum, errors.Join(errs...)
}

// add counts another batch's answers into b.
func (b *Batch) add(o Batch) {
	b.Sent, b.OK = b.Sent+o.Sent, b.OK+o.OK
	for _, m := range []struct {
		to   *map[string]int
		from map[string]int
	}{{&b.Failures, o.Failures}, {&b.Pods, o.Pods}, {&b.Nodes, o.Nodes}} {
		for k, v := range m.from {
			if *m.to == nil {
				*m.to = map[string]int{}
			}
			(*m.to)[k] += v
		}
	}
	if b.Sample == "" {
		b.Sample = o.Sample
	}
}

var (
	endRe    = regexp.MustCompile(`@@lblab-end (\d+)`)
	headerRe = regexp.MustCompile(`(?im)^\s*(X-Lblab-Pod|X-Lblab-Node):\s*(\S+)\s*$`)
	statusRe = regexp.MustCompile(`(?m)^\s*HTTP/[0-9.]+ (\d{3})`)
)

// wgetExit names wget's exit codes.
var wgetExit = map[int]string{1: "wget error", 2: "wget usage error", 3: "I/O error", 4: "network failure (timeout, refused or unreachable)",
	5: "TLS failure", 6: "authentication failure", 7: "protocol error", 8: "HTTP error status"}

// ParseBatch parses the output of wgetScript.
func ParseBatch(out string) Batch {
	b := Batch{}
	for _, chunk := range strings.Split(out, "@@lblab-begin")[1:] {
		b.Sent++
		body, rc := chunk, -1
		if m := endRe.FindStringSubmatchIndex(chunk); m != nil {
			rc, _ = strconv.Atoi(chunk[m[2]:m[3]])
			body = chunk[:m[0]]
		}
		reason := ""
		switch {
		case rc != 0:
			reason = wgetExit[rc]
			if reason == "" {
				reason = fmt.Sprintf("wget exit %d", rc)
			}
			if m := statusRe.FindAllStringSubmatch(body, -1); rc == 8 && len(m) > 0 {
				reason = "HTTP " + m[len(m)-1][1]
			}
		case !strings.Contains(body, NginxWelcome):
			reason = "answer without " + strconv.Quote(NginxWelcome)
		}
		if reason != "" {
			if b.Failures == nil {
				b.Failures = map[string]int{}
			}
			b.Failures[reason]++
			continue
		}
		b.OK++
		for _, m := range headerRe.FindAllStringSubmatch(body, -1) {
			counts := &b.Pods
			if strings.EqualFold(m[1], headerNode) {
				counts = &b.Nodes
			}
			if *counts == nil {
				*counts = map[string]int{}
			}
			(*counts)[strings.Trim(m[2], `"`)]++
		}
		if b.Sample == "" {
			if i := strings.Index(body, "<title>"); i >= 0 {
				b.Sample = firstLine(body[i:])
			}
		}
	}
	return b
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// Spread renders counts as "a:10 b:11".
func Spread(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
