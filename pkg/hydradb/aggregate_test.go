package hydradb_test

import (
	"strings"
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// seedAggregate adds to the demo jobset (seedDemo) the aggregate job release: build 510
// finished as "dependency failed" from bench 501 and slow 502 (timed out); build 511,
// still queued, aggregates slow 502 and the queued bench 503.
func (e *env) seedAggregate() {
	e.t.Helper()
	e.seedDemo()
	mk := func(id int64, finished bool, status int) hydratest.Build {
		b := hydratest.Build{ID: id, Project: "demo", Jobset: "flake", Job: "release", Finished: finished, Status: status,
			Timestamp: demoTS + 7200, NixName: "release", System: "x86_64-linux"}
		if finished {
			b.StartTime, b.StopTime = demoTS+7600, demoTS+7601
		}
		return b
	}
	e.addBuild(mk(510, true, 2), 0)
	e.addBuild(mk(511, false, 0), 0)
	for _, c := range [][2]int64{{510, 501}, {510, 502}, {511, 502}, {511, 503}} {
		e.insert("aggregateconstituents", row{"aggregate": c[0], "constituent": c[1]})
	}
}

func TestAggregateConstituents(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.seedAggregate()
	q := map[string]any{"queryType": "aggregate", "project": "demo", "jobset": "flake", "job": "release", "latest": "latest-finished"}
	r := e.run(q)
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if got := strings.Join([]string{testutil.Column(f, "job"), testutil.Column(f, "build"), testutil.Column(f, "status"), testutil.Column(f, "statusCode"),
		testutil.Column(f, "duration")}, " "); got != "bench,slow 501,502 succeeded,timed out 0,7 0,290" {
		t.Fatalf("constituents of the finished aggregate 510: %s", got)
	}
	if !testutil.HasNotice(r, "Aggregate build 510, the latest finished build of demo:flake:release: dependency failed; 2 constituents") {
		t.Fatalf("notice: %+v", f.Meta.Notices)
	}
	e.golden("aggregate_latest_finished", r)

	q["latest"] = "latest"
	r = e.run(q)
	testutil.MustOK(t, r)
	f = r.Frames[0]
	if got := testutil.Column(f, "build") + " " + testutil.Column(f, "status") + " " + testutil.Column(f, "finished"); got != "503,502 queued,timed out false,true" {
		t.Fatalf("constituents of the queued aggregate 511: %s", got)
	}
	if !testutil.HasNotice(r, "Aggregate build 511, the latest build of demo:flake:release: queued; 2 constituents") {
		t.Fatalf("notice: %+v", f.Meta.Notices)
	}
	e.golden("aggregate_latest", r)
}

func TestAggregateOfPlainJobAndUnknownJob(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.seedAggregate()
	r := e.run(map[string]any{"queryType": "aggregate", "project": "demo", "jobset": "flake", "job": "slow"})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 0 || !testutil.HasNotice(r, "demo:flake:slow is not an aggregate job: its latest build 502 (timed out) has no constituents") {
		t.Fatalf("a job without constituents: %d rows, %+v", r.Frames[0].Rows(), r.Frames[0].Meta.Notices)
	}
	r = e.run(map[string]any{"queryType": "aggregate", "project": "demo", "jobset": "flake", "job": "nope"})
	if r.Error == nil || !strings.Contains(r.Error.Error(), "Hydra has no build of demo:flake:nope") {
		t.Fatalf("unknown job: %v", r.Error)
	}
	r = e.run(map[string]any{"queryType": "aggregate", "project": "demo", "jobset": "gone", "job": "release"})
	if r.Error == nil || !strings.Contains(r.Error.Error(), "Hydra has no jobset demo:gone") {
		t.Fatalf("unknown jobset: %v", r.Error)
	}
}

func TestJobsLatestFinished(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.seedDemo()
	q := map[string]any{"queryType": "jobs", "project": "demo", "jobset": "flake", "latest": "latest"}
	r := e.run(q)
	testutil.MustOK(t, r)
	if got := testutil.Column(r.Frames[0], "build") + " " + testutil.Column(r.Frames[0], "status"); got != "503,502 queued,timed out" {
		t.Fatalf("latest: %s", got)
	}
	q["latest"] = "latest-finished"
	r = e.run(q)
	testutil.MustOK(t, r)
	f := r.Frames[0]
	// bench's build 503 is queued: its newest finished build is 501, of an older evaluation.
	if got := strings.Join([]string{testutil.Column(f, "job"), testutil.Column(f, "build"), testutil.Column(f, "status"), testutil.Column(f, "cached")}, " "); got !=
		"bench,slow 501,502 succeeded,timed out true,false" {
		t.Fatalf("latest-finished: %s", got)
	}
	e.golden("demo_jobs_latest_finished", r)
}
