package scenarios

import (
	"context"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

// cutShort is a shell the deadline killed after two of its answers: it
// printed them, then failed.
type cutShort struct{ out string }

func (c cutShort) Run(context.Context, run.Cmd) ([]byte, error) {
	return []byte(c.out), &run.Error{Cmd: "sh -c …", ExitCode: -1, Err: context.DeadlineExceeded}
}

func TestFetchCutShort(t *testing.T) {
	ok := "@@lblab-begin\n  HTTP/1.1 200 OK\n<title>Welcome to nginx!</title>\n@@lblab-end 0\n"
	h := lab.Node{Name: "client", Runner: cutShort{out: ok + ok}}
	b, err := Fetch(context.Background(), h, "http://198.51.100.0:80/", 30, 3)
	if err == nil || !strings.Contains(err.Error(), "2 of 30 requests") {
		t.Fatalf("a shell cut short after 2 of 30 requests: err %v, want one that says so", err)
	}
	if b.Sent != 2 || b.OK != 2 || b.Source != "client" {
		t.Errorf("the batch of the requests that ran: %+v", b)
	}
}
