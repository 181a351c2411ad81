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

// TestFetchAtOnce: n single requests side by side, summed in one batch.
func TestFetchAtOnce(t *testing.T) {
	rec := &run.Recorder{}
	rec.Respond("sh -c", "@@lblab-begin\n@@lblab-end 4\n") // a dropped request: timeout
	b, err := fetchAtOnce(context.Background(), lab.Node{Name: "tor", Runner: rec}, "http://198.51.100.1:80/", 2, 1)
	if err != nil || b.Sent != 2 || b.OK != 0 || b.Failures["network failure (timeout, refused or unreachable)"] != 2 || b.Source != "tor" {
		t.Errorf("batch %+v, err %v", b, err)
	}
	if calls := rec.Lines(); len(calls) != 2 || !strings.Contains(calls[0], "-lt 1 ]") {
		t.Errorf("want two shells of one request each, ran %q", calls)
	}
	var sum Batch
	sum.add(ParseBatch("@@lblab-begin\n  X-Lblab-Pod: web-1\n  X-Lblab-Node: node1\n<title>Welcome to nginx!</title>\n@@lblab-end 0\n"))
	sum.add(ParseBatch("@@lblab-begin\n  X-Lblab-Pod: web-1\n  X-Lblab-Node: node1\n<title>Welcome to nginx!</title>\n@@lblab-end 0\n"))
	if sum.Sent != 2 || sum.OK != 2 || sum.Pods["web-1"] != 2 || sum.Nodes["node1"] != 2 || sum.Sample == "" {
		t.Errorf("two answers added: %+v", sum)
	}
}
