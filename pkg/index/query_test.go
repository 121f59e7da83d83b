package index_test

import (
	"math"
	"strings"
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// Every query type through the engine (FullJob false, as the plugin runs the index), with
// golden frames.

func TestArtifactSeries(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}))
	testutil.MustOK(t, r)
	f := r.Frames[0]
	// 12 builds: 3 failed, build 5 recorded without its content => 8 points
	if len(r.Frames) != 1 || f.Rows() != 8 || f.Fields[1].At(7).(float64) != 111.5 {
		t.Fatalf("want 8 points ending at 111.5, got %d frames, %d rows", len(r.Frames), f.Rows())
	}
	if rev := f.Fields[4].At(0).(*string); rev == nil || *rev != commit(1) || *f.Fields[3].At(0).(*int64) != 1 {
		t.Fatalf("the first point is not tied to the imported evaluation 1 and its commit: %v", rev)
	}
	if !testutil.HasNotice(r, "1 build has no product bench.json") || !testutil.HasNotice(r, "3 builds did not succeed") {
		t.Fatalf("notices: %+v", f.Meta.Notices)
	}
	e.golden("artifact_throughput", r)

	// by the path inside the output, without project and jobset
	r = e.run(map[string]any{"queryType": "artifact", "job": "bench", "product": "results/bench.json", "path": "results.throughput"})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 8 {
		t.Fatalf("product by path suffix: %d rows", r.Frames[0].Rows())
	}
}

func TestArtifactGlobJobAndLimit(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "job": "bench*", "product": "bench.json",
		"path": "benchmarks.#.mean", "limit": 5}))
	testutil.MustOK(t, r)
	if len(r.Frames) != 2 || r.Frames[0].Rows() != 4 || !testutil.HasNotice(r, "Raise limit") {
		t.Fatalf("glob over bench and bench-gpu, newest 5 builds (one failed): %d frames", len(r.Frames))
	}
	e.golden("artifact_glob_means", r)
	// LIKE's own wildcards in a name are literal
	r = e.run(testutil.Job(map[string]any{"queryType": "builds", "job": "bench_gpu"}))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 0 {
		t.Fatalf("bench_gpu matched %d builds", r.Frames[0].Rows())
	}
}

func TestMetricSeries(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "time"}))
	testutil.MustOK(t, r)
	if len(r.Frames) != 1 || r.Frames[0].Rows() != 9 || r.Frames[0].Fields[1].Config.Unit != "s" {
		t.Fatalf("want 9 points in seconds, got %v", r.Frames)
	}
	e.golden("metric_time", r)
	r = e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "*", "timeField": "stoptime", "limit": 4}))
	testutil.MustOK(t, r)
	if len(r.Frames) != 2 || r.Frames[0].Name != "maxresident" || r.Frames[1].Rows() != 4 {
		t.Fatalf("metric glob: %d frames", len(r.Frames))
	}
	r = e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "nope*"}))
	if r.Error == nil || !strings.Contains(r.Error.Error(), "maxresident, time") {
		t.Fatalf("an unmatched glob should list the job's metrics: %v", r.Error)
	}
}

func TestMetricNaNAndInfinity(t *testing.T) {
	e := newEnv(t)
	values := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1.5}
	for i, v := range values {
		r := build("bench", i+1)
		r.Metrics = []record.Metric{{Name: "ratio", Value: record.Float(v)}}
		r.Status = 0
		e.write(r)
	}
	r := e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "ratio"}))
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 4 {
		t.Fatalf("want 4 points, got %d", f.Rows())
	}
	got := []float64{f.Fields[1].At(0).(float64), f.Fields[1].At(1).(float64), f.Fields[1].At(2).(float64), f.Fields[1].At(3).(float64)}
	if !math.IsNaN(got[0]) || !math.IsInf(got[1], 1) || !math.IsInf(got[2], -1) || got[3] != 1.5 {
		t.Fatalf("values came back as %v", got)
	}
}

func TestBuildsRows(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.run(testutil.Job(map[string]any{"queryType": "builds"}))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 12 {
		t.Fatalf("want 12 builds, got %d", r.Frames[0].Rows())
	}
	e.golden("builds", r)
	// the job alone names it too; an unknown project filters everything out
	r = e.run(map[string]any{"queryType": "builds", "job": "bench"})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 12 {
		t.Fatalf("job without project and jobset: %d builds", r.Frames[0].Rows())
	}
	r = e.run(map[string]any{"queryType": "builds", "project": "nope", "job": "bench"})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 0 || !testutil.HasNotice(r, "No finished build") {
		t.Fatalf("another project: %d builds", r.Frames[0].Rows())
	}
}

func TestEvalsAnnotations(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.run(map[string]any{"queryType": "evals", "project": "bench", "jobset": "main"})
	testutil.MustOK(t, r)
	// the imported evaluation of commit 1 and the implicit ones of commits 2..6
	if r.Frames[0].Rows() != 6 {
		t.Fatalf("want 6 evaluations, got %d", r.Frames[0].Rows())
	}
	e.golden("evals", r)
	r = e.run(map[string]any{"queryType": "evals", "project": "bench", "jobset": "nope"})
	if r.Error == nil || !strings.Contains(r.Error.Error(), "no jobset bench:nope") {
		t.Fatalf("an unknown jobset: %v", r.Error)
	}
}

func TestJobsTable(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.run(map[string]any{"queryType": "jobs", "project": "bench", "jobset": "main"})
	testutil.MustOK(t, r)
	f := r.Frames[0]
	// bench and bench-gpu recorded; other listed by the evaluation but not built; broken failed to evaluate
	if f.Rows() != 3 || f.Fields[0].At(0).(string) != "bench" || f.Fields[0].At(2).(string) != "other" ||
		f.Fields[2].At(0).(string) != "failed" || f.Fields[2].At(2).(string) != "queued" {
		t.Fatalf("jobs:\n%v", f)
	}
	e.golden("jobs", r)
}
