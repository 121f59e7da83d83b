package nixstore

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// latestEnv records, at fixed times, p:main:docs once and p:main:bench twice, its newer
// build failed. It returns the engine, each output's build id by name and the state
// directory.
func latestEnv(t *testing.T) (*query.Engine, map[string]int64, string) {
	t0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	st := newSynthStore(t)
	paths := st.add(bench("docs-1", t0, 1), bench("bench-1", t0.Add(time.Hour), 2), bench("bench-2", t0.Add(2*time.Hour), 3))
	j := st.journal()
	for i, r := range []record.Record{testRecord(paths[0], "docs", t0.Add(time.Minute), 1),
		testRecord(paths[1], "bench", t0.Add(time.Hour+time.Minute), 2), testRecord(paths[2], "bench", t0.Add(2*time.Hour+time.Minute), 3)} {
		r.Project, r.Jobset, r.System, r.Commit = "p", "main", "x86_64-linux", strings.Repeat(string(rune('a'+i)), 40)
		if i == 2 {
			r.Status = 1
		}
		if err := j.AppendBuild(r); err != nil {
			t.Fatal(err)
		}
	}
	_, engine := st.source(time.Hour)
	return engine, map[string]int64{"docs-1": BuildID(paths[0]), "bench-1": BuildID(paths[1]), "bench-2": BuildID(paths[2])}, st.state
}

func runLatest(engine *query.Engine, q map[string]any) backend.DataResponse {
	raw, _ := json.Marshal(q)
	return engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)}}, false)
}

// TestJobsLatestFinished: every recorded build has finished, so latest-finished shows the
// same builds as latest, a failed one included.
func TestJobsLatestFinished(t *testing.T) {
	engine, ids, state := latestEnv(t)
	latest := runLatest(engine, map[string]any{"queryType": "jobs", "project": "p", "jobset": "main"})
	testutil.MustOK(t, latest)
	r := runLatest(engine, map[string]any{"queryType": "jobs", "project": "p", "jobset": "main", "latest": "latest-finished"})
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 2 || f.Fields[0].At(0) != "bench" || f.Fields[2].At(0) != "failed" || f.Fields[0].At(1) != "docs" {
		t.Fatalf("jobs, latest-finished:\n%v", f)
	}
	build, _ := f.FieldByName("build")
	if build.At(0) != ids["bench-2"] || build.At(1) != ids["docs-1"] {
		t.Fatalf("builds %v %v, want bench-2 (%d) and docs-1 (%d)", build.At(0), build.At(1), ids["bench-2"], ids["docs-1"])
	}
	if !reflect.DeepEqual(latest.Frames[0].Fields, f.Fields) {
		t.Fatalf("latest and latest-finished differ although every build finished:\n%v\n%v", latest.Frames[0], f)
	}
	// Build ids hash the test's temporary store paths: the golden file shows 1, 2, 3.
	testutil.HideURL(r.Frames, state, "/state")
	for i := 0; i < build.Len(); i++ {
		for n, name := range []string{"docs-1", "bench-1", "bench-2"} {
			if build.At(i) == ids[name] {
				build.Set(i, int64(n+1))
			}
		}
	}
	experimental.CheckGoldenJSONResponse(t, "testdata/golden", "jobs_latest_finished", &r, os.Getenv("UPDATE_GOLDEN") == "1")
}

// TestAggregateNeedsHydra: the store knows no aggregate jobs.
func TestAggregateNeedsHydra(t *testing.T) {
	engine, _, _ := latestEnv(t)
	r := runLatest(engine, map[string]any{"queryType": "aggregate", "project": "p", "jobset": "main", "job": "bench"})
	if r.Error == nil || r.Status != backend.StatusBadRequest || !strings.Contains(r.Error.Error(), "aggregate queries need the hydra or hydradb source") {
		t.Fatalf("aggregate on the store: %v (status %v)", r.Error, r.Status)
	}
	r = runLatest(engine, map[string]any{"queryType": "aggregate", "job": "bench"})
	if r.Error == nil || !strings.Contains(r.Error.Error(), "project is empty") {
		t.Fatalf("aggregate without project: %v", r.Error)
	}
}
