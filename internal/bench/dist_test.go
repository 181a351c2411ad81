package bench

import (
	"testing"
	"time"
)

func TestNewDist(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	tests := []struct {
		name                    string
		in                      []time.Duration
		n                       int
		p50, p90, p99, min, max time.Duration
	}{
		{"empty", nil, 0, 0, 0, 0, 0, 0},
		{"one", ms(7), 1, 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{"nearest rank of 1..100", ms(hundred...), 100, 50 * time.Millisecond, 90 * time.Millisecond, 99 * time.Millisecond, time.Millisecond, 100 * time.Millisecond},
		{"four", ms(4, 1, 3, 2), 4, 2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond, time.Millisecond, 4 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDist(tt.in)
			got := []time.Duration{time.Duration(d.P50), time.Duration(d.P90), time.Duration(d.P99), time.Duration(d.Min), time.Duration(d.Max)}
			want := []time.Duration{tt.p50, tt.p90, tt.p99, tt.min, tt.max}
			if d.N != tt.n {
				t.Errorf("N = %d, want %d", d.N, tt.n)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("p50, p90, p99, min, max = %v, want %v", got, want)
					break
				}
			}
			for i := 1; i < len(d.Samples); i++ {
				if d.Samples[i] < d.Samples[i-1] {
					t.Fatalf("samples not sorted: %v", d.Samples)
				}
			}
		})
	}
}
