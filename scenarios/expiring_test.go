package scenarios

import (
	"context"
	"testing"
	"time"
)

func TestExpiring(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	soon, c1 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer c1()
	later, c2 := context.WithTimeout(context.Background(), time.Minute)
	defer c2()
	tests := []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"no deadline", context.Background(), false},
		{"ended", ended, true},
		{"ends within a second (a rate limiter already refuses)", soon, true},
		{"a minute left", later, false},
	}
	for _, tt := range tests {
		if got := expiring(tt.ctx); got != tt.want {
			t.Errorf("%s: expiring = %v, want %v", tt.name, got, tt.want)
		}
	}
}
