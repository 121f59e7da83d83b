package nixstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"go.uber.org/goleak"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// TestCancelledMetricQueryReadsNoFilesAndLeavesNoGoroutines cancels a metric query over
// many outputs whose store listing is already in memory: the query ends with the
// cancellation without reading any output's hydra-metrics file, and closing the source
// leaves no goroutine of the refresh, the readers or the engine.
func TestCancelledMetricQueryReadsNoFilesAndLeavesNoGoroutines(t *testing.T) {
	earlier := goleak.IgnoreCurrent() // goroutines of earlier tests are theirs
	// Registered first, so it runs last: after the source is closed.
	t.Cleanup(func() { goleak.VerifyNone(t, earlier) })
	const n = 300
	st := newSynthStore(t)
	start := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	outs := make([]output, n)
	for i := range outs {
		outs[i] = bench(fmt.Sprintf("mybench-%d", i), start.Add(time.Duration(i)*time.Minute), i)
	}
	st.add(outs...)
	src, engine := st.source(time.Hour)
	job := query.JobRef{Job: "mybench-*"}
	w := query.Window{From: start.Add(-time.Hour), To: start.Add(24 * time.Hour), Limit: query.MaxLimit}
	if l, err := src.Builds(context.Background(), job, w); err != nil || len(l.Builds) != n {
		t.Fatalf("listed %d outputs (%v), want %d", len(l.Builds), err, n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the panel was closed before the files were read
	raw, _ := json.Marshal(map[string]any{"queryType": "metric", "job": "mybench-*", "metric": "time"})
	r := engine.Query(ctx, backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: w.From, To: w.To}}, false)
	if r.Error == nil || !strings.Contains(r.Error.Error(), "cancelled") {
		t.Fatalf("want the cancellation as the query's error, got %v", r.Error)
	}
	items, _, _, err := src.list(context.Background(), job, w)
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, it := range items {
		if it.metrics.Load() != nil {
			read++
		}
	}
	if read > 0 {
		t.Fatalf("the cancelled query read the metrics of %d of %d outputs", read, len(items))
	}
}
