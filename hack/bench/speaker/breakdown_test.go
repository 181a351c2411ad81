package main

import (
	"errors"
	"math"
	"os"
	"testing"
)

// TestFind reads histograms from metrics captured from the lab's real API
// server (v1.37.2) and lblab controller.
func TestFind(t *testing.T) {
	tests := []struct {
		file    string
		series  series
		sum     float64
		count   uint64
		wantErr bool
	}{
		{"apiserver.metrics", apiCreate, 1.0474825920000006, 201, false},
		{"apiserver.metrics", apiStatus, 0.5944808869999997, 201, false},
		{"controller.metrics", ctrlService, 0.2471860760000001, 87, false},
		{"controller.metrics", speakerService, 0, 0, true}, // errNoMetric
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.series.metric, func(t *testing.T) {
			text, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			h, err := find(text, tt.series)
			if (err != nil) != tt.wantErr || err != nil && !errors.Is(err, errNoMetric) {
				t.Fatalf("find: error %v, want error: %v", err, tt.wantErr)
			}
			if math.Abs(h.sum-tt.sum) > 1e-9 || h.count != tt.count {
				t.Errorf("find = %+v, want sum %v count %d", h, tt.sum, tt.count)
			}
		})
	}
}
