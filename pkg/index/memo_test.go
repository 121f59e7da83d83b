package index_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// The source keeps what it read while the index's change counter stays the same; every
// write bumps the counter, so the next query sees it.

// executed is a response's ExecutedQueryString.
func executed(r backend.DataResponse) string { return r.Frames[0].Meta.ExecutedQueryString }

// evalAt is the eval column of the point of build id in f (0 when it has none or is not there).
func evalAt(f *data.Frame, id int64) int64 {
	for i := range f.Rows() {
		if f.Fields[2].At(i).(int64) == id {
			if ev := f.Fields[3].At(i).(*int64); ev != nil {
				return *ev
			}
		}
	}
	return 0
}

// changes reads the counter as the writers left it.
func (e *env) changes() int { return e.count(`SELECT n FROM nixci.changes`) }

func TestWritesBumpTheCounter(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if n := e.changes(); n != 0 {
		t.Fatalf("a new index at change %d", n)
	}
	e.write(build("bench", 1))
	e.write(build("bench", 1)) // recorded before: bumps too (its first answer may have been lost)
	_, err := e.db.WriteEval(ctx, evalOf(commit(1)))
	must(t, err)
	if n := e.changes(); n != 3 {
		t.Fatalf("change %d after three writes", n)
	}
	bad := build("bench", 2)
	bad.Outputs = nil
	if _, err := e.db.WriteBuild(ctx, bad); err == nil || e.changes() != 3 {
		t.Fatalf("a refused write: %v, change %d", err, e.changes())
	}
}

// Queries after a build is recorded (by another runner) show it; queries while nothing
// changes are answered from memory and say so.
func TestRecordedBuildShowsInTheNextQuery(t *testing.T) {
	e := newEnv(t)
	e.seed()
	builds := testutil.Job(map[string]any{"queryType": "builds"})
	art := testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"})
	met := testutil.Job(map[string]any{"queryType": "metric", "metric": "time"})
	for _, q := range []map[string]any{builds, art, met} {
		testutil.MustOK(t, e.run(q))
	}
	loads := e.src.Loads()
	for _, q := range []map[string]any{builds, art, met} {
		r := e.run(q)
		testutil.MustOK(t, r)
		if !strings.Contains(executed(r), "at index change 16 (before, kept in memory: nothing changed since)") {
			t.Fatalf("a query while nothing changed:\n%s", executed(r))
		}
	}
	if e.src.Loads() != loads {
		t.Fatalf("queries while nothing changed read %d statements' rows again", e.src.Loads()-loads)
	}
	_, err := e.writer().WriteBuild(context.Background(), build("bench", 13))
	must(t, err)
	r := e.run(builds)
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 13 || !strings.Contains(executed(r), "at index change 17 (just now)") {
		t.Fatalf("builds after build 13 was recorded: %d rows\n%s", r.Frames[0].Rows(), executed(r))
	}
	r = e.run(art)
	testutil.MustOK(t, r)
	if f := r.Frames[0]; f.Rows() != 9 || f.Fields[1].At(8).(float64) != 113.5 {
		t.Fatalf("the artifact series after build 13 was recorded: %d points", f.Rows())
	}
	r = e.run(met)
	testutil.MustOK(t, r)
	if f := r.Frames[0]; f.Rows() != 10 || f.Fields[1].At(9).(float64) != 213 {
		t.Fatalf("the metric series after build 13 was recorded: %d points", f.Rows())
	}
}

// An evaluation imported after a query renames builds, and ties others to it: the next
// queries show both, by the new name and with the new evaluation.
func TestEvalImportShowsInTheNextQuery(t *testing.T) {
	e := newEnv(t)
	e.seed()
	loose := e.write(byDerivation(1, "")) // named mybench until an evaluation lists its derivation
	ctx := context.Background()
	byOld := map[string]any{"queryType": "builds", "job": "mybench"}
	byNew := map[string]any{"queryType": "metric", "project": "bench", "jobset": "main", "job": "perf.mybench", "metric": "time"}
	met := testutil.Job(map[string]any{"queryType": "metric", "metric": "time"})
	art := testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"})
	if r := e.run(byOld); r.Frames[0].Rows() != 1 {
		t.Fatalf("before the import mybench has %d builds", r.Frames[0].Rows())
	}
	if r := e.run(byNew); r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() != 0 {
		t.Fatalf("before the import perf.mybench: %v, %v", r.Error, r.Frames)
	}
	implicit := int64(e.count(`SELECT eval_id FROM nixci.builds WHERE id = 3`))
	for _, q := range []map[string]any{met, art} {
		if r := e.run(q); evalAt(r.Frames[0], 3) != implicit {
			t.Fatalf("build 3 is not in its commit's implicit evaluation %d", implicit)
		}
	}
	// an evaluation listing mybench's derivation, of the commit of builds 3 and 4
	_, err := e.writer().WriteEval(ctx, record.Eval{Project: "bench", Jobset: "main", Commit: commit(3), Time: t0.Add(2 * time.Hour),
		Jobs: []record.EvalJob{{Attr: "perf.mybench", DrvPath: drv("mybench", 1)}}})
	must(t, err)
	imported := int64(e.count(`SELECT id FROM nixci.evals WHERE commit = $1`, commit(3)))
	if r := e.run(byOld); r.Frames[0].Rows() != 0 {
		t.Fatalf("after the import mybench still has %d builds", r.Frames[0].Rows())
	}
	r := e.run(byNew)
	testutil.MustOK(t, r)
	if f := r.Frames[0]; f.Rows() != 1 || f.Fields[2].At(0).(int64) != loose || evalAt(f, loose) != imported {
		t.Fatalf("after the import perf.mybench has %d points", f.Rows())
	}
	for _, q := range []map[string]any{met, art} {
		if r := e.run(q); evalAt(r.Frames[0], 3) != imported {
			t.Fatalf("%s: build 3 is in evaluation %d after evaluation %d took it", q["queryType"], evalAt(r.Frames[0], 3), imported)
		}
	}
}

// Panels asking the same at once share one read.
func TestConcurrentQueriesShareOneRead(t *testing.T) {
	e := newEnv(t)
	e.seedMany(t, "bench", 2_000, 1)
	w := query.Window{From: rangeFrom, To: rangeTo, Limit: 2_000}
	job := query.JobRef{Project: "bench", Jobset: "main", Job: "bench"}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l, err := e.src.Builds(context.Background(), job, w); err != nil || len(l.Builds) != 2_000 {
				t.Errorf("%d builds, %v", len(l.Builds), err)
			}
		}()
	}
	wg.Wait()
	if n := e.src.Loads(); n != 1 {
		t.Fatalf("8 identical queries at once read the listing %d times", n)
	}
}

// A change that bumped no counter (made by hand, or by a writer that died after its
// commit) shows once what was kept expires.
func TestKeptRowsExpire(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.src.SetMemoTTL(300 * time.Millisecond)
	q := testutil.Job(map[string]any{"queryType": "builds"})
	status := func() string { // of build 11
		r := e.run(q)
		testutil.MustOK(t, r)
		f := r.Frames[0]
		for i := range f.Rows() {
			if f.Fields[4].At(i).(int64) == 11 {
				return f.Fields[1].At(i).(string)
			}
		}
		return "not listed"
	}
	if s := status(); s != "succeeded" {
		t.Fatalf("build 11: %s", s)
	}
	_, err := e.raw.Exec(context.Background(), `UPDATE nixci.builds SET status = 1 WHERE id = 11`)
	must(t, err)
	time.Sleep(400 * time.Millisecond)
	if s := status(); s != "failed" {
		t.Fatalf("build 11 after the expiry: %s", s)
	}
}

// Without the counter (a privilege revoked, here the table gone) every query asks the
// index, and Health says why.
func TestWithoutTheCounter(t *testing.T) {
	e := newEnv(t)
	e.seed()
	_, err := e.raw.Exec(context.Background(), `DROP TABLE nixci.changes`)
	must(t, err)
	for range 2 {
		r := e.run(testutil.Job(map[string]any{"queryType": "builds"}))
		testutil.MustOK(t, r)
		if r.Frames[0].Rows() != 12 || strings.Contains(executed(r), "in memory") {
			t.Fatalf("without the counter: %d rows\n%s", r.Frames[0].Rows(), executed(r))
		}
	}
	if msg, err := e.src.Health(context.Background()); err != nil || !strings.Contains(msg, "GRANT SELECT ON nixci.changes") {
		t.Fatalf("Health without the counter: %q, %v", msg, err)
	}
	if e.src.Loads() != 0 {
		t.Fatalf("%d statements' rows kept without the counter", e.src.Loads())
	}
}

// An index of schema 1 (before the counter) is upgraded by runners migrating at once: the
// counter is made once, and the plugin, refused before, serves after.
func TestCounterMigrationConcurrently(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	_, err := e.raw.Exec(ctx, `DROP TABLE nixci.changes; DELETE FROM nixci.schema_version WHERE version = 2`)
	must(t, err)
	src := e.source(index.Options{})
	says(t, queryError(src), "", "schema version 1, older than this plugin reads (2)", "nixci-artifacts migrate")
	migrateAtOnce(t, e, 6)
	if n := e.count(`SELECT count(*) FROM nixci.schema_version WHERE version = 2`); n != 1 {
		t.Fatalf("migration 2 recorded %d times", n)
	}
	if n, c := e.count(`SELECT count(*) FROM nixci.changes`), e.changes(); n != 1 || c != 0 {
		t.Fatalf("%d counter rows at %d", n, c)
	}
	if err := queryError(src); err != nil {
		t.Fatalf("after the upgrade: %v", err)
	}
	e.write(build("bench", 13))
	if c := e.changes(); c != 1 {
		t.Fatalf("a write after the upgrade left the counter at %d", c)
	}
}
