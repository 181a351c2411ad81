package promtext

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

// TestFind reads histograms from metrics captured from the lab's real API
// server (v1.37.2) and lblab controller, and from the controller's with
// its labels in another order and one more label.
func TestFind(t *testing.T) {
	read := func(file string) string {
		text, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		return string(text)
	}
	relabelled := strings.ReplaceAll(read("controller.metrics"), `{kind="service",le=`, `{le=`)
	relabelled = strings.ReplaceAll(relabelled, `_sum{kind="service"}`, `_sum{shard="0",kind="service"}`)
	relabelled = strings.ReplaceAll(relabelled, `_count{kind="service"}`, `_count{shard="0",kind="service"}`)
	relabelled = strings.ReplaceAll(relabelled, `_bucket{le=`, `_bucket{shard="0",kind="service",le=`)
	tests := []struct {
		name    string
		text    string
		series  Series
		sum     float64
		count   uint64
		wantErr bool
	}{
		{"apiserver create", read("apiserver.metrics"), APIServiceCreate, 1.0474825920000006, 201, false},
		{"apiserver status", read("apiserver.metrics"), APIServiceStatus, 0.5944808869999997, 201, false},
		{"controller", read("controller.metrics"), ControllerService, 0.2471860760000001, 87, false},
		{"controller relabelled", relabelled, ControllerService, 0.2471860760000001, 87, false},
		{"no speaker metric", read("controller.metrics"), SpeakerService, 0, 0, true}, // ErrNoMetric
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Find([]byte(tt.text), tt.series)
			if (err != nil) != tt.wantErr || err != nil && !errors.Is(err, ErrNoMetric) {
				t.Fatalf("Find: error %v, want error: %v", err, tt.wantErr)
			}
			if math.Abs(h.Sum-tt.sum) > 1e-9 || h.Count != tt.count {
				t.Errorf("Find = %+v, want sum %v count %d", h, tt.sum, tt.count)
			}
		})
	}
}
