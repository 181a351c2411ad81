package main

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// TestReconcileTotals reads the controller's metrics captured from a lab,
// as served and with the series' labels reordered and one added: the
// series is found by its labels, not by the text of its line.
func TestReconcileTotals(t *testing.T) {
	captured, err := os.ReadFile("../../../internal/promtext/testdata/controller.metrics")
	if err != nil {
		t.Fatal(err)
	}
	relabelled := strings.NewReplacer(
		`_sum{kind="service"}`, `_sum{shard="0",kind="service"}`,
		`_count{kind="service"}`, `_count{shard="0",kind="service"}`,
		`_bucket{kind="service",`, `_bucket{shard="0",kind="service",`,
	).Replace(string(captured))
	for name, text := range map[string]string{"captured": string(captured), "relabelled": relabelled} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Write([]byte(text))
			}))
			defer srv.Close()
			h, err := reconcileTotals(context.Background(), srv.URL+"/metrics")
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(h.Sum-0.2471860760000001) > 1e-9 || h.Count != 87 {
				t.Errorf("reconcileTotals = %+v, want sum 0.2471860760000001 count 87", h)
			}
		})
	}
}
