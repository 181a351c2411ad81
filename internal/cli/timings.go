package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/lblab/lblab/internal/lab"
)

// printTimings prints where an `up` spent its time, step by step, with the
// time since the start at which each step ended.
func printTimings(w io.Writer, res *lab.Result) {
	if len(res.Steps) == 0 {
		return
	}
	const other = "other (checks, state, summary)"
	width := len(other)
	for _, s := range res.Steps {
		width = max(width, len(s.Name))
	}
	fmt.Fprintf(w, "\nWhere the time went:\n")
	var sum time.Duration
	for _, s := range res.Steps {
		sum += s.Duration
		mark := ""
		if !s.OK {
			mark = "  (failed)"
		}
		fmt.Fprintf(w, "  %-*s  %7s   cumulative %7s%s\n", width, s.Name, seconds(s.Duration), seconds(sum), mark)
	}
	fmt.Fprintf(w, "  %-*s  %7s\n", width, other, seconds(max(res.Total-sum, 0)))
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
