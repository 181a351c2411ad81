package run

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestExec(t *testing.T) {
	out, err := Exec{}.Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", "echo out; echo err >&2"}})
	if err != nil || string(out) != "out\n" {
		t.Fatalf("got %q, %v", out, err)
	}
	_, err = Exec{}.Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", "echo broken >&2; exit 3"}})
	var re *Error
	if !errors.As(err, &re) || re.ExitCode != 3 || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("want *Error with exit 3 and stderr, got %#v", err)
	}
	_, err = Exec{}.Run(context.Background(), Cmd{Name: "/nonexistent/tool"})
	if !errors.As(err, &re) || re.ExitCode != -1 {
		t.Fatalf("want exit -1 for a missing tool, got %v", err)
	}
}

// A command killed because its context ended says so, and the error is
// the context's.
func TestExecContextEnded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := Exec{}.Run(ctx, Cmd{Name: "sleep", Args: []string{"5"}})
	var re *Error
	if !errors.As(err, &re) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Fatalf("want an *Error wrapping context.DeadlineExceeded, got %v", err)
	}
}

func TestCmdString(t *testing.T) {
	c := Cmd{Name: "vtysh", Args: []string{"-c", "show bgp summary json", "it's"}}
	if got, want := c.String(), `vtysh -c 'show bgp summary json' 'it'\''s'`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestRecorder(t *testing.T) {
	var r Recorder
	r.Respond("ip", "generic")
	r.Respond("ip -j route", `[{"dst":"default"}]`)
	r.Fail("ip netns del", 1, "no such namespace")
	ctx := context.Background()
	if out, _ := Output(ctx, &r, "ip", "-j", "route", "show"); string(out) != `[{"dst":"default"}]` {
		t.Errorf("longest prefix did not win: %s", out)
	}
	if out, _ := Output(ctx, &r, "ip", "link"); string(out) != "generic" {
		t.Errorf("got %s", out)
	}
	if _, err := Output(ctx, &r, "ip", "netns", "del", "x"); err == nil {
		t.Error("want failure")
	}
	if got := strings.Join(r.Lines(), "|"); got != "ip -j route show|ip link|ip netns del x" {
		t.Errorf("lines = %s", got)
	}
}
