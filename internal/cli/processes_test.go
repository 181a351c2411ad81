package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/lab"
)

func TestPrintProcesses(t *testing.T) {
	var b bytes.Buffer
	printProcesses(&b, []lab.Process{
		{Host: "control-plane", Name: "lblab controller", State: "running", PID: 4242, Since: time.Now().Add(-time.Minute),
			Restarts: 2, LastExit: "exited: signal: killed"},
		{Host: "node1", Name: "kube-proxy on node1", State: "waiting", Restarts: 5, LastExit: "exited: exit status 1"},
	}, "")
	out := b.String()
	for _, want := range []string{"RESTARTS", "LAST EXIT", "lblab controller", "4242", "1m0s", "signal: killed",
		"kube-proxy on node1", "waiting", "exit status 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	printProcesses(&b, nil, "the lab's supervisor: connection refused")
	if !strings.Contains(b.String(), "Processes: the lab's supervisor: connection refused") {
		t.Errorf("a read error is not shown: %q", b.String())
	}
}
