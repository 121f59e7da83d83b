package hydra_test

import (
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

func TestArtifactSeries(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 12, FailFraction: 0.25, GCFraction: 0.2})
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}))
	testutil.MustOK(t, r)
	if len(r.Frames) != 1 {
		t.Fatalf("want one series, got %d frames", len(r.Frames))
	}
	f := r.Frames[0]
	// 12 builds: 3 failed, 2 garbage-collected (the oldest fifth) => 7 points.
	if n := f.Rows(); n != 7 {
		t.Fatalf("want 7 points (12 builds - 3 failed - 2 GC'd), got %d", n)
	}
	for i := 1; i < f.Rows(); i++ {
		if !f.Fields[0].At(i - 1).(time.Time).Before(f.Fields[0].At(i).(time.Time)) {
			t.Fatal("points are not oldest first")
		}
	}
	if rev := f.Fields[4].At(0).(*string); rev == nil || len(*rev) != 40 {
		t.Fatalf("point without its commit revision: %v", rev)
	}
	e.golden("artifact_throughput", r)
}

func TestArtifactSeveralSeries(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 4})
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

func TestArtifactWarmQueryMakesNoRequest(t *testing.T) {
	e := newEnv(t, envOpts{})
	const n = 40
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: n})
	q := testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"})
	testutil.MustOK(t, e.run(q))
	reqs := e.srv.Requests()
	for k, c := range reqs {
		if c > 1 {
			t.Errorf("%s requested %d times in one cold query", k, c)
		}
	}
	// one listing, one download per build, and ceil(n/20) pages of evaluations
	if want := 1 + n + (n+19)/20; e.srv.TotalRequests() != want {
		t.Errorf("cold query made %d requests, want %d: %v", e.srv.TotalRequests(), want, reqs)
	}
	e.srv.ResetRequests()
	r := e.run(q)
	testutil.MustOK(t, r)
	if got := e.srv.TotalRequests(); got != 0 {
		t.Fatalf("warm query made %d requests: %v", got, e.srv.Requests())
	}
	if r.Frames[0].Rows() != n {
		t.Fatalf("warm query has %d points, want %d", r.Frames[0].Rows(), n)
	}
}

func TestArtifactLimitAndTimeRange(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 50, Interval: time.Hour})
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput", "limit": 10}))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 10 {
		t.Fatalf("limit 10 gave %d points", r.Frames[0].Rows())
	}
	if !testutil.HasNotice(r, "Raise limit") {
		t.Fatal("no notice that limit cut the series")
	}
	// A window in the past: builds 21..30 of 50 (hours 20..29 before the newest build).
	end := hydratest.DefaultGenEnd
	r = e.runRange(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput", "limit": 5}),
		end.Add(-29*time.Hour), end.Add(-20*time.Hour))
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 5 {
		t.Fatalf("past window gave %d points, want 5", f.Rows())
	}
	if got := f.Fields[2].At(4).(int64); got != 30 {
		t.Fatalf("newest point of the past window is build %d, want 30", got)
	}
}

func TestArtifactProductAsPathInsideOutput(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.srv.AddBuild(hydratest.Build{ID: 5, Project: "bench", Jobset: "main", Job: "bench", Finished: true,
		Timestamp: hydratest.DefaultGenEnd.Unix(), StartTime: hydratest.DefaultGenEnd.Unix() + 1, StopTime: hydratest.DefaultGenEnd.Unix() + 9,
		Outputs:  map[string]string{"out": "/nix/store/aaaa-bench"},
		Products: []hydratest.Product{{Type: "nix-build", Name: "aaaa-bench", Path: "/nix/store/aaaa-bench", Dir: true}},
		Files:    map[string][]byte{"/nix/store/aaaa-bench/results/bench.json": []byte(`{"x": 3}`)}})
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "results/bench.json", "path": "x"}))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 1 || r.Frames[0].Fields[1].At(0).(float64) != 3 {
		t.Fatalf("file inside a directory product not read: %v", r.Frames[0])
	}
}

func TestArtifactTooLargeIsRefused(t *testing.T) {
	e := newEnv(t, envOpts{maxBytes: 1000})
	big := append([]byte(`{"x":1,"pad":"`), []byte(strings.Repeat("a", 5000))...)
	big = append(big, []byte(`"}`)...)
	e.srv.AddBuild(hydratest.Build{ID: 9, Project: "bench", Jobset: "main", Job: "bench", Finished: true,
		Timestamp: hydratest.DefaultGenEnd.Unix(), StartTime: hydratest.DefaultGenEnd.Unix(), StopTime: hydratest.DefaultGenEnd.Unix() + 1,
		Products: []hydratest.Product{{Type: "file", Name: "bench.json", Path: "/nix/store/bbbb-x/bench.json"}},
		Files:    map[string][]byte{"/nix/store/bbbb-x/bench.json": big}})
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "x"}))
	if r.Error == nil || !strings.Contains(r.Error.Error(), "maxArtifactBytes") || r.ErrorSource != backend.ErrorSourceDownstream {
		t.Fatalf("want a downstream error naming maxArtifactBytes, got %v (%v)", r.Error, r.ErrorSource)
	}
}

func TestMetricSeries(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 9, StringMetricsEvery: 2})
	r := e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "time"}))
	testutil.MustOK(t, r)
	if len(r.Frames) != 1 || r.Frames[0].Rows() != 9 {
		t.Fatalf("want 9 points of one series, got %v", r.Frames)
	}
	if u := r.Frames[0].Fields[1].Config.Unit; u != "s" {
		t.Fatalf("unit %q, want s", u)
	}
	for i := 0; i < 9; i++ {
		if v := r.Frames[0].Fields[1].At(i).(float64); v < 200 || v >= 400 || math.IsNaN(v) {
			t.Fatalf("metric value %v (strings and numbers must both parse)", v)
		}
	}
	e.golden("metric_time", r)
}

func TestMetricGlobAndOneRequestPerMetric(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 30})
	q := testutil.Job(map[string]any{"queryType": "metric", "metric": "*"})
	r := e.run(q)
	testutil.MustOK(t, r)
	if len(r.Frames) != 2 || r.Frames[0].Name != "maxresident" || r.Frames[1].Name != "time" {
		t.Fatalf("glob gave %d frames", len(r.Frames))
	}
	for _, name := range []string{"time", "maxresident"} {
		if n := e.srv.Requests()[hydratest.RequestKey("GET", "/job/bench/main/bench/metric/"+name)]; n != 1 {
			t.Errorf("metric %s fetched %d times, want once for the whole history", name, n)
		}
	}
	r = e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "nope*"}))
	if r.Error == nil || !strings.Contains(r.Error.Error(), "maxresident, time") {
		t.Fatalf("unmatched glob should list the job's metrics: %v", r.Error)
	}
}

func TestBuildsRows(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 6, FailFraction: 0.5})
	r := e.run(testutil.Job(map[string]any{"queryType": "builds"}))
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 6 {
		t.Fatalf("want 6 builds, got %d", f.Rows())
	}
	e.golden("builds", r)
}

func TestEvalsAnnotations(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 45})
	r := e.run(map[string]any{"queryType": "evals", "project": "bench", "jobset": "main", "limit": 25})
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 25 {
		t.Fatalf("want 25 evals, got %d", f.Rows())
	}
	e.golden("evals", r)
}

func TestFlakeRevisionFromEval(t *testing.T) {
	e := newEnv(t, envOpts{})
	ts := hydratest.DefaultGenEnd.Unix()
	e.srv.AddJobset(hydratest.Jobset{Project: "bench", Name: "flake", Type: 1, Flake: "github:o/r", Enabled: 1})
	e.srv.AddBuild(hydratest.Build{ID: 3, Project: "bench", Jobset: "flake", Job: "bench", Finished: true,
		Timestamp: ts, StartTime: ts + 1, StopTime: ts + 5, Metrics: map[string]hydratest.Metric{"m": {Value: 1}}})
	e.srv.AddEval(hydratest.Eval{ID: 8, Project: "bench", Jobset: "flake", Timestamp: ts, HasNewBuilds: true,
		Flake: "github:o/r/0123456789abcdef0123456789abcdef01234567", Builds: []int64{3}})
	r := e.run(map[string]any{"queryType": "metric", "project": "bench", "jobset": "flake", "job": "bench", "metric": "m"})
	testutil.MustOK(t, r)
	if rev := r.Frames[0].Fields[4].At(0).(*string); rev == nil || *rev != "0123456789abcdef0123456789abcdef01234567" {
		t.Fatalf("flake revision not taken from the eval's flake ref: %v", rev)
	}
}

func TestJobsTable(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{Job: "a", N: 3})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{Job: "b", N: 3, FirstID: 100, FirstEvalID: 100, FailFraction: 1})
	r := e.run(map[string]any{"queryType": "jobs", "project": "bench", "jobset": "main"})
	testutil.MustOK(t, r)
	e.golden("jobs", r)
}

func TestSeedFixtures(t *testing.T) {
	e := newEnv(t, envOpts{})
	if err := e.srv.SeedFixtures("testdata/seed"); err != nil {
		t.Fatal(err)
	}
	from := time.Unix(1634000000, 0)
	r := e.runRange(map[string]any{"queryType": "builds", "project": "myapp", "jobset": "main", "job": "myapp"}, from, from.Add(30*24*time.Hour))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 1 || r.Frames[0].Fields[4].At(0).(int64) != 70 {
		t.Fatalf("the real build 70 was not listed: %v", r.Frames[0])
	}
	e.golden("seed_builds", r)
}

func TestHeavyJobsetIsWalkedOnceAndNoFurther(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 50, FirstEvalID: 1000})
	// nixpkgs-sized evaluations: every eval lists 30,000 build ids, so a page is ~4.6 MB.
	members := make([]int64, 30000)
	for i := range members {
		members[i] = int64(100000 + i)
	}
	for i := range 45 {
		ts := hydratest.DefaultGenEnd.Unix() + int64(i+1)
		e.srv.AddEval(hydratest.Eval{ID: int64(2000 + i), Project: "bench", Jobset: "main", Timestamp: ts, HasNewBuilds: true, Builds: members})
	}
	q := testutil.Job(map[string]any{"queryType": "metric", "metric": "time"})
	done := make(chan backend.DataResponse, 2)
	for range 2 {
		go func() { done <- e.run(q) }()
	}
	for range 2 {
		r := <-done
		testutil.MustOK(t, r)
		if r.Frames[0].Rows() != 50 || !testutil.HasNotice(r, "too many builds") {
			t.Fatalf("want all points and a notice about the heavy jobset, got %d rows, %+v", r.Frames[0].Rows(), r.Frames[0].Meta.Notices)
		}
	}
	if n := e.srv.Requests()[hydratest.RequestKey("GET", "/jobset/bench/main/evals?page=1")]; n != 1 {
		t.Fatalf("two concurrent queries walked the heavy jobset %d times, want once", n)
	}
	if n := e.srv.Requests()[hydratest.RequestKey("GET", "/jobset/bench/main/evals?page=2")]; n != 0 {
		t.Fatalf("walked past the first heavy page")
	}
	r := e.run(map[string]any{"queryType": "evals", "project": "bench", "jobset": "main"})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 20 || !testutil.HasNotice(r, "too many builds") {
		t.Fatalf("evals of a heavy jobset: want its newest page (20) with a warning, got %d rows", r.Frames[0].Rows())
	}
}

func TestConcurrentPanelsFetchEachThingOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 60})
	e.srv.SetLatency(5 * time.Millisecond)
	done := make(chan backend.DataResponse)
	for i := range 10 {
		q := testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": []string{"results.throughput", "results.latency_ms"}[i%2]})
		go func() { done <- e.run(q) }()
	}
	for range 10 {
		r := <-done
		testutil.MustOK(t, r)
		if r.Frames[0].Rows() != 60 {
			t.Fatalf("a panel got %d points, want 60", r.Frames[0].Rows())
		}
	}
	for k, n := range e.srv.Requests() {
		if n > 1 {
			t.Errorf("%s fetched %d times by 10 concurrent panels", k, n)
		}
	}
}

func TestEmptyListingsAreExplained(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 3})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{Jobset: "old", N: 3, FirstID: 50, FirstEvalID: 50})
	e.srv.RenameJobset("bench", "old", "new")

	r := e.run(map[string]any{"queryType": "builds", "project": "bench", "jobset": "nope", "job": "bench"})
	if r.Error == nil || !strings.Contains(r.Error.Error(), "Hydra has no jobset bench:nope") || r.Status != backend.StatusBadRequest {
		t.Errorf("missing jobset: %v (%v)", r.Error, r.Status)
	}
	r = e.run(map[string]any{"queryType": "artifact", "project": "bench", "jobset": "old", "job": "bench", "product": "bench.json", "path": "x"})
	if r.Error == nil || !strings.Contains(r.Error.Error(), "was renamed to new") {
		t.Errorf("renamed jobset: %v", r.Error)
	}
	r = e.run(testutil.Job(map[string]any{"queryType": "artifact", "job": "benhc", "product": "bench.json", "path": "x"}))
	testutil.MustOK(t, r)
	if !testutil.HasNotice(r, "No finished build of bench:main:benhc") {
		t.Errorf("a misspelt job gave no notice: %+v", r.Frames[0].Meta)
	}
}
