package hydra_test

import (
	"context"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// What a warm query costs the Source, by allocations (times are the benchmarks' business):
// what was fetched is kept decoded, and looked up without a key string per build.

// A warm metric query filters the history cached by the cold one, for any time range,
// without asking Hydra again or decoding its answer again.
func TestWarmMetricReadsTheCachedHistory(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 200, Interval: time.Hour})
	q := testutil.Job(map[string]any{"queryType": "metric", "metric": "time"})
	testutil.MustOK(t, e.run(q))
	e.srv.ResetRequests()
	end := hydratest.DefaultGenEnd
	r := e.runRange(q, end.Add(-9*time.Hour), end)
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 10 || e.srv.TotalRequests() != 0 {
		t.Fatalf("warm metric over 10 hours: %d points and %d requests (%v), want 10 and none",
			r.Frames[0].Rows(), e.srv.TotalRequests(), e.srv.Requests())
	}
	if unit := r.Frames[0].Fields[1].Config.Unit; unit != "s" {
		t.Fatalf("warm metric lost its unit: %q", unit)
	}
	// Decoding the route's 200 rows again would allocate at least once per row.
	job := query.JobRef{Project: "bench", Jobset: "main", Job: "bench"}
	w := query.Window{From: rangeFrom, To: rangeTo, Limit: 200}
	allocs := testing.AllocsPerRun(5, func() {
		if pts, _, err := e.src.Metric(context.Background(), job, "time", w); err != nil || len(pts) != 200 {
			t.Fatalf("warm Metric: %d points, %v", len(pts), err)
		}
	})
	if allocs > 20 {
		t.Fatalf("a warm Metric call made %.0f allocations: it decodes the history again", allocs)
	}
}

// A warm artifact query's listing and origins cost the Source a few allocations, not one
// or more per build.
func TestWarmArtifactPathAllocatesPerQueryNotPerBuild(t *testing.T) {
	const n = 1000
	e := newEnv(t, envOpts{})
	benchJob(e.srv, n)
	testutil.MustOK(t, e.run(seriesOf(n)))
	ctx, job := context.Background(), query.JobRef{Project: "bench", Jobset: "main", Job: "bench"}
	w := query.Window{From: rangeFrom, To: rangeTo, Limit: n}
	var builds []query.Build
	listing := testing.AllocsPerRun(5, func() {
		l, err := e.src.Builds(ctx, job, w)
		if err != nil || len(l.Builds) != n {
			t.Fatalf("warm Builds: %d builds, %v", len(l.Builds), err)
		}
		builds = l.Builds
	})
	origins := testing.AllocsPerRun(5, func() {
		o, err := e.src.Origins(ctx, job, builds)
		if err != nil || len(o) != n || o[builds[0].ID].Revision == "" {
			t.Fatalf("warm Origins: %d of %d builds, %v", len(o), n, err)
		}
	})
	if listing > 14 || origins > 20 {
		t.Fatalf("a warm listing made %.0f allocations and a warm origins lookup %.0f, for %d builds", listing, origins, n)
	}
	if e.srv.TotalRequests() != 1+n+n/20 {
		t.Fatalf("the warm calls made requests: %v", e.srv.Requests())
	}
}
