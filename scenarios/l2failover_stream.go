package scenarios

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

// streamPrologue makes a script end when its stdin closes: the loop after
// it stops, and what it started in the background still finishes.
const streamPrologue = `exec 3<&0 </dev/null
( read _ <&3; kill $$ 2>/dev/null ) &
exec 3<&-
`

// shellStream runs one long script on a host (a loop that prints
// timestamped lines), collecting its lines as they come, where the runner
// passes them on at once (netns, SSH); a runner that returns output only
// at the end (docker exec) hands them over when the script stops.
type shellStream struct {
	stdin  *io.PipeWriter
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	lines  []streamLine
}

// streamLine is one output line and when it arrived.
type streamLine struct {
	at   time.Time
	text string
}

func startStream(ctx context.Context, h lab.Node, script string) *shellStream {
	ctx, cancel := context.WithCancel(ctx)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &shellStream{stdin: inW, cancel: cancel, done: make(chan struct{})}
	go func() {
		_, err := h.Runner.Run(ctx, run.Cmd{Name: "sh", Args: []string{"-c", streamPrologue + script}, Stdin: inR, Stdout: outW})
		outW.CloseWithError(err)
	}()
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			s.mu.Lock()
			s.lines = append(s.lines, streamLine{at: time.Now(), text: sc.Text()})
			s.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, outR)
	}()
	return s
}

// snapshot returns the lines so far.
func (s *shellStream) snapshot() []streamLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]streamLine(nil), s.lines...)
}

// stop closes the script's stdin, waits up to grace for what it started
// to finish, kills it after that, and returns every line.
func (s *shellStream) stop(grace time.Duration) []streamLine {
	_ = s.stdin.Close()
	select {
	case <-s.done:
	case <-time.After(grace):
		s.cancel()
		<-s.done
	}
	s.cancel()
	return s.snapshot()
}

// streamTime reads a script's `date +%s%N`, falling back to when the line
// arrived where date has no %N.
func streamTime(field string, arrived time.Time) time.Time {
	ns, err := strconv.ParseInt(strings.TrimSpace(field), 10, 64)
	if err != nil || ns < 1e18 {
		return arrived
	}
	return time.Unix(0, ns)
}
