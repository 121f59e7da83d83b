package hydradb_test

import (
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// The scenarios of pkg/hydra's golden tests, read from the database instead of the API:
// the data must be the same (TestSameAnswersAsHTTPSource checks it row for row).

func TestArtifactSeries(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 12, FailFraction: 0.25, GCFraction: 0.2})
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}))
	testutil.MustOK(t, r)
	f := r.Frames[0]
	// 12 builds: 3 failed, 2 garbage-collected (downloads answer 404) => 7 points.
	if len(r.Frames) != 1 || f.Rows() != 7 {
		t.Fatalf("want 7 points (12 builds - 3 failed - 2 GC'd), got %d frames, %d rows", len(r.Frames), f.Rows())
	}
	if rev := f.Fields[4].At(0).(*string); rev == nil || len(*rev) != 40 {
		t.Fatalf("point without its commit revision: %v", rev)
	}
	if !testutil.HasNotice(r, "2 builds have no product bench.json") {
		t.Fatalf("garbage-collected products not counted: %+v", f.Meta.Notices)
	}
	e.golden("artifact_throughput", r)
}

func TestArtifactSeveralSeries(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 4})
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "benchmarks.#.mean"}))
	testutil.MustOK(t, r)
	var names []string
	for _, f := range r.Frames {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "benchmarks.0.mean,benchmarks.1.mean" {
		t.Fatalf("series named %v", names)
	}
	e.golden("artifact_benchmarks_means", r)
}

func TestArtifactLimitAndTimeRange(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 50, Interval: time.Hour})
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput", "limit": 10}))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 10 || !testutil.HasNotice(r, "Raise limit") {
		t.Fatalf("limit 10 gave %d points (notice: %v)", r.Frames[0].Rows(), testutil.HasNotice(r, "Raise limit"))
	}
	// A window in the past: builds 21..30 of 50; limit 5 keeps 26..30.
	end := hydratest.DefaultGenEnd
	r = e.runRange(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput", "limit": 5}),
		end.Add(-29*time.Hour), end.Add(-20*time.Hour))
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 5 || f.Fields[2].At(0).(int64) != 26 || f.Fields[2].At(4).(int64) != 30 {
		t.Fatalf("past window gave %d points from build %v to %v, want 26..30", f.Rows(), f.Fields[2].At(0), f.Fields[2].At(f.Rows()-1))
	}
}

func TestMetricSeries(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 9, StringMetricsEvery: 2})
	r := e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "time"}))
	testutil.MustOK(t, r)
	if len(r.Frames) != 1 || r.Frames[0].Rows() != 9 {
		t.Fatalf("want 9 points of one series, got %v", r.Frames)
	}
	if u := r.Frames[0].Fields[1].Config.Unit; u != "s" {
		t.Fatalf("unit %q, want s", u)
	}
	for i := range 9 {
		if v := r.Frames[0].Fields[1].At(i).(float64); v < 200 || v >= 400 || math.IsNaN(v) {
			t.Fatalf("metric value %v", v)
		}
	}
	e.golden("metric_time", r)
}

func TestMetricGlobLimitAndStopTime(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 30})
	r := e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "*"}))
	testutil.MustOK(t, r)
	if len(r.Frames) != 2 || r.Frames[0].Name != "maxresident" || r.Frames[1].Name != "time" {
		t.Fatalf("glob gave %d frames", len(r.Frames))
	}
	r = e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "nope*"}))
	if r.Error == nil || !strings.Contains(r.Error.Error(), "maxresident, time") {
		t.Fatalf("unmatched glob should list the job's metrics: %v", r.Error)
	}
	r = e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "time", "limit": 7, "timeField": "stoptime"}))
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 7 || !testutil.HasNotice(r, "Raise limit") || f.Fields[2].At(6).(int64) != 30 {
		t.Fatalf("limit 7 on stop time: %d rows, newest build %v", f.Rows(), f.Fields[2].At(f.Rows()-1))
	}
	// stop time = queue time + 30 s + the duration, which is the metric itself
	stop := f.Fields[0].At(6).(time.Time)
	if want := hydratest.DefaultGenEnd.Add(30*time.Second + time.Duration(f.Fields[1].At(6).(float64))*time.Second); !stop.Equal(want) {
		t.Fatalf("point at %v, want the build's stop time %v", stop, want)
	}
}

func TestBuildsRows(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 6, FailFraction: 0.5})
	r := e.run(testutil.Job(map[string]any{"queryType": "builds"}))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 6 {
		t.Fatalf("want 6 builds, got %d", r.Frames[0].Rows())
	}
	e.golden("builds", r)
}

func TestEvalsAnnotations(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 45})
	r := e.run(map[string]any{"queryType": "evals", "project": "bench", "jobset": "main", "limit": 25})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 25 || !testutil.HasNotice(r, "Raise limit") {
		t.Fatalf("want 25 evals and a notice, got %d", r.Frames[0].Rows())
	}
	e.golden("evals", r)
}

func TestJobsTable(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{Job: "a", N: 3})
	e.generate(hydratest.GenOptions{Job: "b", N: 3, FirstID: 100, FirstEvalID: 100, FailFraction: 1})
	r := e.run(map[string]any{"queryType": "jobs", "project": "bench", "jobset": "main"})
	testutil.MustOK(t, r)
	e.golden("jobs", r)
}

// What only the database knows: queued builds, cached builds, flake revisions, evaluations
// of a flake jobset, and products read from the local store.
func TestDemoBuildsQueuedAndCached(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.seedDemo()
	r := e.run(map[string]any{"queryType": "builds", "project": "demo", "jobset": "flake", "job": "bench"})
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 3 {
		t.Fatalf("want builds 500, 501 and the queued 503, got %d rows", f.Rows())
	}
	if f.Fields[1].At(2).(string) != "queued" || f.Fields[5].At(2).(*int64) != nil {
		t.Fatalf("the unfinished build is not shown as queued: %v", f.Fields[1].At(2))
	}
	if !f.Fields[8].At(1).(bool) || *f.Fields[3].At(1).(*float64) != 0 {
		t.Fatal("the cached build is not flagged with duration 0")
	}
	if rev := f.Fields[7].At(0).(*string); rev == nil || *rev != strings.Repeat("1a", 20) {
		t.Fatalf("flake revision of build 500: %v", rev)
	}
	if rev := f.Fields[7].At(2).(*string); rev == nil || *rev != strings.Repeat("3c", 20) {
		t.Fatalf("revision from a git+https flake ref with rev=: %v", rev)
	}
	e.golden("demo_builds", r)
}

func TestDemoEvalsAndJobs(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.seedDemo()
	r := e.run(map[string]any{"queryType": "evals", "project": "demo", "jobset": "flake"})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 3 {
		t.Fatalf("want the 3 evaluations that added builds (not the one without), got %d", r.Frames[0].Rows())
	}
	e.golden("demo_evals", r)
	r = e.run(map[string]any{"queryType": "jobs", "project": "demo", "jobset": "flake"})
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 2 || f.Fields[0].At(0).(string) != "bench" || f.Fields[2].At(0).(string) != "queued" ||
		f.Fields[2].At(1).(string) != "timed out" {
		t.Fatalf("jobs of the newest eval:\n%s", table(f))
	}
	e.golden("demo_jobs", r)
}

func TestDemoArtifactsFromLocalStore(t *testing.T) {
	e := newEnv(t, envOpts{noHydra: true})
	e.seedDemo()
	r := e.run(map[string]any{"queryType": "artifact", "project": "demo", "jobset": "flake", "job": "bench",
		"product": "bench.json", "path": "results.throughput"})
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 2 || f.Fields[1].At(0).(float64) != 42.5 || f.Fields[1].At(1).(float64) != 42.5 {
		t.Fatalf("want the build's and the cached build's 42.5 from the local store, got %v", f)
	}
	e.golden("demo_artifact_local", r)
	r = e.run(map[string]any{"queryType": "artifact", "project": "demo", "jobset": "flake", "job": "bench",
		"product": "results/deep.json", "path": "x"})
	testutil.MustOK(t, r)
	if f := r.Frames[0]; f.Rows() != 2 || f.Fields[1].At(0).(float64) != 7 {
		t.Fatalf("a file inside a directory product was not read: %v", f)
	}
}

func table(f *data.Frame) string {
	s, err := f.StringTable(-1, -1)
	if err != nil {
		return err.Error()
	}
	return s
}
