package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/table"
)

// Row is one figure of the report, for each controller (NaN where it has
// none), in unit ("ms", "s", "MiB" or "" for a count).
type Row struct {
	Name   string
	Unit   string
	Values []float64
}

// Rows lays the results out as the report's rows, one value per result.
func Rows(rs []*Result) []Row {
	var rows []Row
	add := func(name, unit string, f func(*Result) (float64, bool)) {
		r := Row{Name: name, Unit: unit}
		for _, res := range rs {
			v, ok := f(res)
			if !ok {
				v = math.NaN()
			}
			r.Values = append(r.Values, v)
		}
		rows = append(rows, r)
	}
	dist := func(what string, get func(*Latency) Dist) {
		for _, q := range []struct {
			name string
			get  func(Dist) Duration
		}{{"p50", func(d Dist) Duration { return d.P50 }}, {"p90", func(d Dist) Duration { return d.P90 }},
			{"p99", func(d Dist) Duration { return d.P99 }}, {"max", func(d Dist) Duration { return d.Max }}} {
			add(what+" "+q.name, "ms", func(r *Result) (float64, bool) {
				d := get(&r.Latency)
				return ms(q.get(d)), d.N > 0
			})
		}
	}
	dist("create → IP in status", func(l *Latency) Dist { return l.Status })
	dist("create → first UPDATE", func(l *Latency) Dist { return l.FirstUpdate })
	dist("create → UPDATE from every speaker", func(l *Latency) Dist { return l.AllUpdates })
	dist("create → every next hop in the TOR's FIB", func(l *Latency) Dist { return l.FIB })
	dist("delete → first withdrawal", func(l *Latency) Dist { return l.Withdrawn })
	dist("delete → route gone from the FIB", func(l *Latency) Dist { return l.Gone })
	for _, n := range churnSizes(rs) {
		churn := func(r *Result) (Churn, bool) {
			for _, c := range r.Churn {
				if c.Services == n {
					return c, true
				}
			}
			return Churn{}, false
		}
		p := fmt.Sprintf("churn %d: ", n)
		add(p+"creates took", "s", func(r *Result) (float64, bool) { c, ok := churn(r); return sec(c.Created), ok })
		add(p+"Services with an IP", "", func(r *Result) (float64, bool) { c, ok := churn(r); return float64(c.WithIP), ok })
		add(p+"routes in the FIB", "", func(r *Result) (float64, bool) { c, ok := churn(r); return float64(c.Routed), ok })
		add(p+"last route after the last create", "s", func(r *Result) (float64, bool) {
			c, ok := churn(r)
			return sec(c.LastRoute), ok && c.Routed == n
		})
		add(p+"last route gone after the last delete", "s", func(r *Result) (float64, bool) {
			c, ok := churn(r)
			return sec(c.LastGone), ok && c.AllGone
		})
		for _, role := range []string{"allocator", "speaker (largest)"} {
			for _, m := range []struct {
				name string
				get  func(Memory) float64
			}{{"RSS", func(m Memory) float64 { return m.RSS }}, {"PSS", func(m Memory) float64 { return m.PSS }},
				{"anon", func(m Memory) float64 { return m.Anon }}} {
				add(p+role+" "+m.name, "MiB", func(r *Result) (float64, bool) {
					c, ok := churn(r)
					if !ok {
						return 0, false
					}
					return roleMemory(r, c, role == "allocator", m.get)
				})
			}
		}
		add(p+"every process, RSS", "MiB", func(r *Result) (float64, bool) {
			c, ok := churn(r)
			sum := 0.0
			for _, m := range c.Memory {
				sum += m.RSS
			}
			return sum, ok && len(c.Memory) > 0
		})
	}
	return rows
}

// roleMemory is the allocator's memory, or the largest speaker's: the
// first process name of a controller allocates, the others announce.
func roleMemory(r *Result, c Churn, allocator bool, get func(Memory) float64) (float64, bool) {
	t, err := targetFor(r.Controller)
	if err != nil || len(t.processes) == 0 {
		return 0, false
	}
	best, ok := 0.0, false
	for _, m := range c.Memory {
		isAlloc := m.Process == t.processes[0] && !t.self
		if isAlloc == allocator {
			best, ok = math.Max(best, get(m)), true
		}
	}
	return best, ok
}

func churnSizes(rs []*Result) []int {
	var out []int
	for _, r := range rs {
		for _, c := range r.Churn {
			if !slices.Contains(out, c.Services) {
				out = append(out, c.Services)
			}
		}
	}
	return out
}

func ms(d Duration) float64  { return float64(d) / float64(time.Millisecond) }
func sec(d Duration) float64 { return float64(d) / float64(time.Second) }

// WriteTable prints one column per controller and, for each controller
// after the first, its ratio to the first; then each result's notes.
func WriteTable(w io.Writer, rs []*Result) error {
	headers := []string{"FIGURE"}
	for _, r := range rs {
		headers = append(headers, strings.ToUpper(r.Controller))
	}
	for _, r := range rs[min(1, len(rs)):] {
		headers = append(headers, strings.ToUpper(r.Controller)+"/"+strings.ToUpper(rs[0].Controller))
	}
	var rows [][]string
	for _, row := range Rows(rs) {
		cells := []string{row.Name}
		for _, v := range row.Values {
			cells = append(cells, formatValue(v, row.Unit))
		}
		for _, v := range row.Values[min(1, len(row.Values)):] {
			cells = append(cells, ratio(v, row.Values[0]))
		}
		rows = append(rows, cells)
	}
	if err := table.Write(w, headers, rows); err != nil {
		return err
	}
	for _, r := range rs {
		fmt.Fprintf(w, "\n%s: %s; speakers %s\n", r.Controller, r.Version, strings.Join(r.Speakers, ", "))
		if r.Elapsed > 0 {
			fmt.Fprintf(w, "  its turn took %s, its lab's up included\n", time.Duration(r.Elapsed).Round(100*time.Millisecond))
		}
		if b := r.Breakdown; b != nil {
			fmt.Fprintf(w, "  where create → UPDATE goes (means per Service, from the components' metrics): API server create %sms, "+
				"controller %sms (its status write %sms), speaker event → GoBGP %sms\n",
				msString(time.Duration(b.APICreate), 1), msString(time.Duration(b.Controller), 1),
				msString(time.Duration(b.APIStatus), 1), msString(time.Duration(b.Speaker), 1))
		}
		if len(r.ExtraNexthops) > 0 {
			fmt.Fprintf(w, "  the TOR also got next hops that are not eligible nodes: %s\n", strings.Join(r.ExtraNexthops, ", "))
		}
		if l := r.Latency; l.NoIP+l.NoUpdate+l.NoRoute+l.StillThere > 0 {
			fmt.Fprintf(w, "  latency phase: %d Services without an IP in 10 s, %d without an UPDATE seen, %d without a whole route in 5 s, %d still routed 5 s after delete\n",
				l.NoIP, l.NoUpdate, l.NoRoute, l.StillThere)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	return nil
}

func formatValue(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case unit == "":
		return strconv.FormatFloat(v, 'f', 0, 64)
	case unit == "ms" || unit == "MiB":
		return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " " + unit
}

func ratio(v, base float64) string {
	if math.IsNaN(v) || math.IsNaN(base) || v <= 0 || base <= 0 {
		return "-"
	}
	return strconv.FormatFloat(v/base, 'f', 2, 64) + "×"
}

// Report is the JSON document of a bench run.
type Report struct {
	Machine string    `json:"machine"`
	Results []*Result `json:"results"`
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r Report) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}
