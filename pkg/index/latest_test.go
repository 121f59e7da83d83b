package index_test

import (
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// TestJobsLatestFinished: the index records finished builds only; the job "other", listed
// by the newest imported evaluation but not built yet, shows as queued with latest and is
// left out with latest-finished.
func TestJobsLatestFinished(t *testing.T) {
	e := newEnv(t)
	e.seed()
	q := map[string]any{"queryType": "jobs", "project": "bench", "jobset": "main"}
	r := e.run(q)
	testutil.MustOK(t, r)
	if f := r.Frames[0]; f.Rows() != 3 || f.Fields[0].At(2) != "other" || f.Fields[2].At(2) != "queued" {
		t.Fatalf("jobs, latest:\n%v", f)
	}
	q["latest"] = "latest-finished"
	r = e.run(q)
	testutil.MustOK(t, r)
	f := r.Frames[0]
	build, _ := f.FieldByName("build")
	if f.Rows() != 2 || f.Fields[0].At(0) != "bench" || f.Fields[0].At(1) != "bench-gpu" ||
		f.Fields[2].At(0) != "failed" || f.Fields[2].At(1) != "succeeded" || build.At(0).(int64) == 0 || build.At(1).(int64) == 0 {
		t.Fatalf("jobs, latest-finished:\n%v", f)
	}
	if !strings.Contains(f.Meta.ExecutedQueryString, "FROM names n JOIN LATERAL") {
		t.Fatalf("executed query: %s", f.Meta.ExecutedQueryString)
	}
	e.golden("jobs_latest_finished", r)
}

// TestAggregateNeedsHydra: the index knows no aggregate jobs.
func TestAggregateNeedsHydra(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.run(map[string]any{"queryType": "aggregate", "project": "bench", "jobset": "main", "job": "bench"})
	if r.Error == nil || r.Status != backend.StatusBadRequest || !strings.Contains(r.Error.Error(), "aggregate queries need the hydra or hydradb source") {
		t.Fatalf("aggregate on the index: %v (status %v)", r.Error, r.Status)
	}
}
