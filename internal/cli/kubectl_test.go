package cli

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/status"
)

func TestKubectlArgs(t *testing.T) {
	tests := []struct {
		args     []string
		name     string
		rest     []string
		wantHelp bool
	}{
		{[]string{"get", "pods", "-n", "kube-system"}, "", []string{"get", "pods", "-n", "kube-system"}, false},
		{[]string{"--name", "lab2", "get", "nodes"}, "lab2", []string{"get", "nodes"}, false},
		{[]string{"--name=lab2", "--", "get", "--name", "x"}, "lab2", []string{"get", "--name", "x"}, false},
		{[]string{"--", "-h"}, "", []string{"-h"}, false},
		{[]string{"--help"}, "", nil, true},
		{[]string{"--name", "lab2", "explain", "--help"}, "lab2", []string{"explain", "--help"}, false},
		{nil, "", nil, false},
	}
	for _, tc := range tests {
		name, rest, help := kubectlArgs(tc.args)
		if name != tc.name || !slices.Equal(rest, tc.rest) || help != tc.wantHelp {
			t.Errorf("kubectlArgs(%q) = %q, %q, %v; want %q, %q, %v", tc.args, name, rest, help, tc.name, tc.rest, tc.wantHelp)
		}
	}
}

func TestPrintTimings(t *testing.T) {
	var b bytes.Buffer
	printTimings(&b, &lab.Result{Total: 10 * time.Second, Steps: []status.Step{
		{Name: "Creating fabric", Duration: 100 * time.Millisecond, OK: true},
		{Name: "Starting etcd and kube-apiserver", Duration: 4 * time.Second, OK: true},
		{Name: "Waiting for 4 nodes to be Ready", Duration: 5 * time.Second, OK: false},
	}})
	out := b.String()
	for _, want := range []string{"Where the time went:", "Starting etcd and kube-apiserver    4.00s   cumulative   4.10s",
		"Waiting for 4 nodes to be Ready     5.00s   cumulative   9.10s  (failed)", "0.90s"} {
		if !strings.Contains(out, want) {
			t.Errorf("timings lack %q:\n%s", want, out)
		}
	}
	b.Reset()
	printTimings(&b, &lab.Result{})
	if b.Len() != 0 {
		t.Errorf("no steps, no table: %q", b.String())
	}
}
