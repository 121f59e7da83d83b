package nixstore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// regressionValues are the numbers of the store paths regbench-1..12, registered an hour
// apart from regressionT0: bench.json's results.throughput and the metric time.
var (
	regressionValues = []int{100, 104, 97, 101, 99, 112, 103, 98, 95, 120, 101, 100}
	regressionT0     = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
)

// regressionEnv is a made-up store holding the paths regbench-1..12.
type regressionEnv struct {
	st     *synthStore
	engine *query.Engine
	ids    map[int64]int64 // build id (a hash of the test's store path) -> i
}

func newRegressionEnv(t *testing.T) *regressionEnv {
	e := &regressionEnv{st: newSynthStore(t), ids: map[int64]int64{}}
	for i, v := range regressionValues {
		p := e.st.add(bench(fmt.Sprintf("regbench-%d", i+1), regressionT0.Add(time.Duration(i+1)*time.Hour), v))[0]
		e.ids[BuildID(p)] = int64(i + 1)
	}
	_, e.engine = e.st.source(10 * time.Millisecond)
	return e
}

func (e *regressionEnv) run(q map[string]any, from time.Time) backend.DataResponse {
	raw, _ := json.Marshal(q)
	return e.engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: from, To: regressionT0.Add(24 * time.Hour)}}, false)
}

// golden compares r with testdata/golden/NAME.jsonc, each build id replaced by i of
// regbench-i and the test's directories by /store and /state.
func (e *regressionEnv) golden(t *testing.T, name string, r backend.DataResponse) {
	t.Helper()
	testutil.HideURL(r.Frames, e.st.store, "/store")
	testutil.HideURL(r.Frames, e.st.state, "/state")
	for _, f := range r.Frames {
		if b, _ := f.FieldByName("build"); b != nil {
			for i := range b.Len() {
				b.Set(i, e.ids[b.At(i).(int64)])
			}
		}
	}
	experimental.CheckGoldenJSONResponse(t, "testdata/golden", name, &r, os.Getenv("UPDATE_GOLDEN") == "1")
}

// regressionQueries are an artifact and a metric query with the regression option, K=4.
var regressionQueries = map[string]map[string]any{
	"artifact": {"queryType": "artifact", "job": "regbench-*", "product": "bench.json", "path": "results.throughput",
		"regression": true, "baselineBuilds": 4, "threshold": 2, "better": "higher"},
	"metric": {"queryType": "metric", "job": "regbench-*", "metric": "time", "regression": true, "baselineBuilds": 4},
}

func TestRegressionFrames(t *testing.T) {
	e := newRegressionEnv(t)
	for typ, q := range regressionQueries {
		r := e.run(q, regressionT0)
		testutil.MustOK(t, r)
		if len(r.Frames) != 1 || r.Frames[0].Rows() != len(regressionValues) {
			t.Fatalf("%s: %d frames, want one of %d points", typ, len(r.Frames), len(regressionValues))
		}
		f := r.Frames[0]
		testutil.CheckRegression(t, f, 4, q)
		// regbench-5 (99) against 100, 104, 97, 101: baseline 100.5
		if b := testutil.FieldNamed(f, "baseline").At(4).(*float64); b == nil || *b != 100.5 {
			t.Fatalf("%s: the fifth point's baseline is %v, want 100.5", typ, b)
		}
		if !testutil.HasNotice(r, "the first 4 points of 12") {
			t.Fatalf("%s: no notice about the points without a baseline", typ)
		}
		e.golden(t, "regression_"+typ, r)
	}
}

func TestRegressionBaselineReachesBeforeTheTimeRange(t *testing.T) {
	e := newRegressionEnv(t)
	from := regressionT0.Add(9 * time.Hour)
	for typ, q := range regressionQueries {
		full := e.run(q, regressionT0)
		testutil.MustOK(t, full)
		part := e.run(q, from)
		testutil.MustOK(t, part)
		first := part.Frames[0].Fields[0].At(0).(time.Time)
		if !first.Equal(from) || part.Frames[0].Rows() != 4 {
			t.Fatalf("%s: %d points from %s, want regbench-9..12", typ, part.Frames[0].Rows(), first)
		}
		// regbench-9 (95) against regbench-5..8 (99, 112, 103, 98): 101
		want, ok := testutil.BaselineBefore(full.Frames[0], first, 4)
		if got := testutil.FieldNamed(part.Frames[0], "baseline").At(0).(*float64); !ok || got == nil || *got != want || want != 101 {
			t.Fatalf("%s: the first point's baseline is %v, want %v from the builds before the range", typ, got, want)
		}
		if testutil.HasNotice(part, "no baseline") {
			t.Fatalf("%s: a notice about missing baselines though the store has the history", typ)
		}
	}
}
