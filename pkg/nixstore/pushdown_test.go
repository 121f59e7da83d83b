package nixstore

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// The store has no query language: the index lists every valid path once, and a query
// cuts its window from the job's list in memory. What costs, reading files, is bounded by
// the window: of 200 builds a second apart, a range holding builds 50 to 149 and Max data
// points 20 (under the query's limit of 200) plot builds 130 to 149, with a notice that Max
// data points cut the series, and only their files are opened: for an artifact, bench.json
// after looking for hydra-build-products; for a metric, hydra-metrics, and build 129's too,
// which tells the engine that there were more. Asked again, the same window opens nothing.
func TestWindowBoundsTheFilesRead(t *testing.T) {
	st := newSynthStore(t)
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	var outs []output
	for i := range 200 {
		outs = append(outs, bench(fmt.Sprintf("mybench-%d", i), start.Add(time.Duration(i)*time.Second), i))
	}
	st.add(outs...)
	from, to := start.Add(50*time.Second), start.Add(149*time.Second)
	src, engine := st.source(time.Hour)
	for _, c := range []struct {
		q     map[string]any
		files int64
	}{
		{map[string]any{"queryType": "artifact", "job": "mybench-*", "product": "bench.json", "path": "results.throughput", "limit": 200}, 40},
		{map[string]any{"queryType": "metric", "job": "mybench-*", "metric": "time", "limit": 200}, 21},
	} {
		kind := c.q["queryType"].(string)
		raw, _ := json.Marshal(c.q)
		for round, want := range []int64{c.files, 0} {
			opened := src.opened.Load()
			r := engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw, MaxDataPoints: 20,
				TimeRange: backend.TimeRange{From: from, To: to}}, false)
			testutil.MustOK(t, r)
			f := r.Frames[0]
			first, last := f.Fields[1].At(0).(float64), f.Fields[1].At(f.Rows()-1).(float64)
			if f.Rows() != 20 || first != 130 || last != 149 || !testutil.HasNotice(r, "Max data points") {
				t.Errorf("%s: %d points from %v to %v, notices %+v; want 20 from builds 130 to 149", kind, f.Rows(), first, last, f.Meta.Notices)
			}
			if n := src.opened.Load() - opened; n != want {
				t.Errorf("%s, query %d: %d files opened, want %d", kind, round+1, n, want)
			}
		}
	}
	// The listing itself is the window's: no build outside it, at most Limit of them.
	l, err := src.Builds(context.Background(), query.JobRef{Job: "mybench-*"}, query.Window{From: from, To: to, Limit: 20})
	if err != nil || len(l.Builds) != 20 || !l.Truncated || l.Builds[0].NixName != "mybench-149" || l.Builds[19].NixName != "mybench-130" {
		t.Fatalf("listing: %v, %d builds, truncated %v, %v", err, len(l.Builds), l.Truncated, names(l))
	}
}
