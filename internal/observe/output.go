package observe

import (
	"context"
	"fmt"
	"strings"

	"github.com/lblab/lblab/internal/lab"
)

// Output is one command's output as a reader got it.
type Output struct {
	Host    string
	Command string // the command line, for headings
	Data    []byte
}

// Header is "host: command".
func (o Output) Header() string { return o.Host + ": " + o.Command }

// command runs name with args on h; the error names the host.
func command(ctx context.Context, h lab.Node, name string, args ...string) (Output, error) {
	o := Output{Host: h.Name, Command: strings.Join(append([]string{name}, args...), " ")}
	var err error
	if o.Data, err = h.Command(ctx, name, args...); err != nil {
		return o, fmt.Errorf("failed to run %s on %s: %w", name, h.Name, err)
	}
	return o, nil
}

func familyName(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}
