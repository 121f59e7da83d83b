package index_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// regressionValues are the numbers of builds 1..14 of bench (every fourth fails); build
// 6's time is NaN, which no baseline may take in.
var regressionValues = []float64{100, 104, 97, 0, 101, 99, 112, 0, 103, 98, 95, 0, 120, 101}

// seedRegression records builds 1..14 of bench with time = the value and bench.json's
// results.throughput = ten times it.
func (e *env) seedRegression() {
	e.t.Helper()
	for i, v := range regressionValues {
		r := build("bench", i+1)
		if r.Status != 0 {
			e.write(r)
			continue
		}
		metric := v
		if i+1 == 6 {
			metric = math.NaN()
		}
		r.Metrics = []record.Metric{{Name: "time", Value: record.Float(metric), Unit: "s"}}
		r.Products[0].Content = fmt.Appendf(nil, `{"results":{"throughput":%g}}`, 10*v)
		e.write(r)
	}
}

func TestRegressionFrames(t *testing.T) {
	e := newEnv(t)
	e.seedRegression()
	for typ, q := range testutil.RegressionQueries() {
		r := e.run(q)
		testutil.MustOK(t, r)
		if len(r.Frames) != 1 || r.Frames[0].Rows() != 11 {
			t.Fatalf("%s: %d frames, want one of 11 points", typ, len(r.Frames))
		}
		testutil.CheckRegression(t, r.Frames[0], 4, q)
		if !testutil.HasNotice(r, "the first 4 points of 11") {
			t.Fatalf("%s: no notice about the points without a baseline", typ)
		}
		e.golden("regression_"+typ, r)
	}
	// Rows 0..6 are builds 1, 2, 3, 5, 6, 7, 9: 100, 104, 97, 101, NaN, 112, 103.
	f := e.run(testutil.RegressionQueries()["metric"]).Frames[0]
	want := []struct {
		row              int
		baseline, change float64 // change NaN: none
	}{
		{4, 100.5, math.NaN()},   // the NaN gets a baseline but no change
		{5, 100.5, 11.5 / 100.5}, // the NaN is not in the window: still 100, 104, 97, 101
		{6, 102.5, 0.5 / 102.5},  // 104, 97, 101, 112
	}
	for _, w := range want {
		b, c := testutil.FieldNamed(f, "baseline").At(w.row).(*float64), testutil.FieldNamed(f, "change").At(w.row).(*float64)
		if b == nil || *b != w.baseline || (c == nil) != math.IsNaN(w.change) || (c != nil && *c != w.change) {
			t.Fatalf("row %d: baseline %v change %v, want %v and %v", w.row, b, c, w.baseline, w.change)
		}
	}
}

func TestRegressionBaselineReachesBeforeTheTimeRange(t *testing.T) {
	e := newEnv(t)
	e.seedRegression()
	from := t0.Add(9 * time.Hour)
	for typ, q := range testutil.RegressionQueries() {
		full := e.run(q)
		testutil.MustOK(t, full)
		raw, _ := json.Marshal(q)
		part := e.engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw,
			TimeRange: backend.TimeRange{From: from, To: rangeTo}}, false)
		testutil.MustOK(t, part)
		first := part.Frames[0].Fields[0].At(0).(time.Time)
		if first.Before(from) || part.Frames[0].Rows() != 5 {
			t.Fatalf("%s: %d points from %s, want builds 9, 10, 11, 13, 14", typ, part.Frames[0].Rows(), first)
		}
		want, ok := testutil.BaselineBefore(full.Frames[0], first, 4)
		if got := testutil.FieldNamed(part.Frames[0], "baseline").At(0).(*float64); !ok || got == nil || *got != want {
			t.Fatalf("%s: the first point's baseline is %v, want %v from the builds before the range", typ, got, want)
		}
		if testutil.HasNotice(part, "no baseline") {
			t.Fatalf("%s: a notice about missing baselines though the job has the history", typ)
		}
	}
}
