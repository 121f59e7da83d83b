package hydra_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// seedAggregate loads the real builds 70 (myapp) and 78 (myapp_test_does_it_run) of
// myapp:main, then two evaluations of the aggregate job release: eval 320 built release 80
// (succeeded) from 70 and 78; eval 321 has release 81 and the test 79, both still queued.
func seedAggregate(t *testing.T, e *env) {
	t.Helper()
	if err := e.srv.SeedFixtures("testdata/seed"); err != nil {
		t.Fatal(err)
	}
	const ts = 1634240000
	mk := func(id int64, job string, finished bool, constituents ...int64) hydratest.Build {
		b := hydratest.Build{ID: id, Project: "myapp", Jobset: "main", Job: job, Finished: finished, Timestamp: ts + id,
			NixName: job, System: "x86_64-linux", Constituents: constituents}
		if finished {
			b.StartTime, b.StopTime = ts+id+5, ts+id+9
		}
		return b
	}
	e.srv.AddBuild(mk(80, "release", true, 70, 78))
	e.srv.AddEval(hydratest.Eval{ID: 320, Project: "myapp", Jobset: "main", Timestamp: ts + 80, HasNewBuilds: true, Builds: []int64{70, 78, 80}})
	e.srv.AddBuild(mk(79, "myapp_test_does_it_run", false))
	e.srv.AddBuild(mk(81, "release", false, 70, 79))
	e.srv.AddEval(hydratest.Eval{ID: 321, Project: "myapp", Jobset: "main", Timestamp: ts + 81, HasNewBuilds: true, Builds: []int64{70, 79, 81}})
}

func TestAggregateConstituents(t *testing.T) {
	e := newEnv(t, envOpts{})
	seedAggregate(t, e)
	q := map[string]any{"queryType": "aggregate", "project": "myapp", "jobset": "main", "job": "release", "latest": "latest-finished"}
	r := e.run(q)
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if got := testutil.Column(f, "job") + " " + testutil.Column(f, "build") + " " + testutil.Column(f, "status") + " " + testutil.Column(f, "nixname"); got !=
		"myapp,myapp_test_does_it_run 70,78 succeeded,succeeded hello,test-hello" {
		t.Fatalf("constituents of the finished aggregate 80: %s", got)
	}
	if !testutil.HasNotice(r, "Aggregate build 80, the latest finished build of myapp:main:release: succeeded; 2 constituents") {
		t.Fatalf("notice: %+v", f.Meta.Notices)
	}
	e.golden("aggregate_latest_finished", r)

	delete(q, "latest") // the default: the newest build, queued or not
	r = e.run(q)
	testutil.MustOK(t, r)
	f = r.Frames[0]
	if got := testutil.Column(f, "build") + " " + testutil.Column(f, "status") + " " + testutil.Column(f, "finished"); got != "70,79 succeeded,queued true,false" {
		t.Fatalf("constituents of the queued aggregate 81: %s", got)
	}
	if !testutil.HasNotice(r, "Aggregate build 81, the latest build of myapp:main:release: queued; 2 constituents") {
		t.Fatalf("notice: %+v", f.Meta.Notices)
	}
	e.golden("aggregate_latest", r)

	// The finished aggregate's constituents have all finished: they are not asked for again.
	e.srv.ResetRequests()
	q["latest"] = "latest-finished"
	testutil.MustOK(t, e.run(q))
	if n := e.srv.Requests()[hydratest.RequestKey("GET", "/build/80/constituents")]; n != 0 {
		t.Fatalf("settled constituents asked for again %d times", n)
	}
}

func TestAggregateOfPlainJobAndUnknownJob(t *testing.T) {
	e := newEnv(t, envOpts{})
	seedAggregate(t, e)
	r := e.run(map[string]any{"queryType": "aggregate", "project": "myapp", "jobset": "main", "job": "myapp"})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 0 || !testutil.HasNotice(r, "myapp:main:myapp is not an aggregate job: its latest build 70 (succeeded) has no constituents") {
		t.Fatalf("a job without constituents: %d rows, %+v", r.Frames[0].Rows(), r.Frames[0].Meta.Notices)
	}
	r = e.run(map[string]any{"queryType": "aggregate", "project": "myapp", "jobset": "main", "job": "nope"})
	if r.Error == nil || !strings.Contains(r.Error.Error(), "Hydra has no build of myapp:main:nope") {
		t.Fatalf("unknown job: %v", r.Error)
	}
	r = e.run(map[string]any{"queryType": "aggregate", "project": "myapp", "jobset": "main", "job": "release", "latest": "newest"})
	if r.Error == nil || !strings.Contains(r.Error.Error(), `latest "newest" is not known`) {
		t.Fatalf("bad latest: %v", r.Error)
	}
}

func TestJobsLatestFinished(t *testing.T) {
	e := newEnv(t, envOpts{})
	seedAggregate(t, e)
	q := map[string]any{"queryType": "jobs", "project": "myapp", "jobset": "main"}
	r := e.run(q)
	testutil.MustOK(t, r)
	if got := testutil.Column(r.Frames[0], "build") + " " + testutil.Column(r.Frames[0], "status"); got != "70,79,81 succeeded,queued,queued" {
		t.Fatalf("latest: %s", got)
	}
	e.srv.ResetRequests()
	q["latest"] = "latest-finished"
	r = e.run(q)
	testutil.MustOK(t, r)
	if got := testutil.Column(r.Frames[0], "job") + " " + testutil.Column(r.Frames[0], "build") + " " + testutil.Column(r.Frames[0], "status"); got !=
		"myapp,myapp_test_does_it_run,release 70,78,80 succeeded,succeeded,succeeded" {
		t.Fatalf("latest-finished: %s", got)
	}
	// The evaluation page and the newest evaluation's builds are cached: only eval 320 is read.
	if n := e.srv.TotalRequests(); n != 1 || e.srv.Requests()[hydratest.RequestKey("GET", "/eval/320/builds")] != 1 {
		t.Fatalf("latest-finished after latest made %d requests: %v", n, e.srv.Requests())
	}
	e.golden("jobs_latest_finished", r)
}

// TestJobsLatestFinishedIsBounded: a job whose builds never finish is looked for in at
// most the ten evaluations before the newest, and those listing only builds read already
// cost no request.
func TestJobsLatestFinishedIsBounded(t *testing.T) {
	e := newEnv(t, envOpts{})
	steady := hydratest.Build{ID: 900, Project: "p", Jobset: "j", Job: "steady", Finished: true, Timestamp: 1000, StartTime: 1001, StopTime: 1010,
		NixName: "steady", System: "x86_64-linux"}
	e.srv.AddBuild(steady)
	// Eval 2k-1 queues stuck build 1000+k; eval 2k lists it again, still queued.
	for id := int64(1); id <= 20; id++ {
		stuck := 1000 + (id+1)/2
		if id%2 == 1 {
			e.srv.AddBuild(hydratest.Build{ID: stuck, Project: "p", Jobset: "j", Job: "stuck", Timestamp: 1000 + id, NixName: "stuck", System: "x86_64-linux"})
		}
		e.srv.AddEval(hydratest.Eval{ID: id, Project: "p", Jobset: "j", Timestamp: 1000 + id, HasNewBuilds: true, Builds: []int64{900, stuck}})
	}
	r := e.run(map[string]any{"queryType": "jobs", "project": "p", "jobset": "j", "latest": "latest-finished"})
	testutil.MustOK(t, r)
	if got := testutil.Column(r.Frames[0], "job") + " " + testutil.Column(r.Frames[0], "build"); got != "steady 900" {
		t.Fatalf("a job that never finished is left out: %s", got)
	}
	reqs := e.srv.Requests()
	var evalBuilds []string
	for id := 1; id <= 20; id++ {
		if reqs[hydratest.RequestKey("GET", fmt.Sprintf("/eval/%d/builds", id))] > 0 {
			evalBuilds = append(evalBuilds, fmt.Sprint(id))
		}
	}
	// eval 20 is the newest; 19..10 are the ten before it, of which the odd ones list
	// only builds already read.
	if got := strings.Join(evalBuilds, ","); got != "10,12,14,16,18,20" {
		t.Fatalf("evaluations whose builds were read: %s", got)
	}
	if n, bound := e.srv.TotalRequests(), 10+2; n != 7 || n > bound {
		t.Fatalf("latest-finished made %d requests (bound %d): %v", n, bound, reqs)
	}
}
