package index_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// byDerivation is a build named after its derivation (mybench-1 → mybench), without
// project and jobset, as a runner records what it built without knowing the jobset.
func byDerivation(i int, commit string) record.Record {
	r := build("mybench", i)
	r.Project, r.Jobset, r.NamedBy, r.Commit = "", "", record.NamedByDerivation, commit
	return r
}

// evalOf is an imported evaluation of bench:main listing mybench's derivation 1 as perf.mybench.
func evalOf(c string) record.Eval {
	return record.Eval{Project: "bench", Jobset: "main", Commit: c, Time: t0,
		Jobs: []record.EvalJob{{Attr: "perf.mybench", DrvPath: drv("mybench", 1)}, {Attr: "perf.other", DrvPath: drv("other", 1)},
			{Attr: "perf.mybench", DrvPath: "/nix/store/dup.drv"}}}
}

// named says how the build with this id is stored now.
func (e *env) named(id int64) string {
	e.t.Helper()
	var p, j, job, by, c string
	var eval *int64
	must(e.t, e.raw.QueryRow(context.Background(), `SELECT project, jobset, job, named_by, commit, eval_id FROM nixci.builds WHERE id = $1`,
		id).Scan(&p, &j, &job, &by, &c, &eval))
	s := p + ":" + j + ":" + job + " by " + by + " at " + c[:min(1, len(c))]
	if eval != nil {
		s += " in an evaluation"
	}
	return s
}

// nines is a commit no evaluation has.
var nines = strings.Repeat("9", 40)

func TestEvalImportNamesBuildsRecordedBefore(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	noCommit := e.write(byDerivation(1, ""))
	// other builds of the same derivation (other outputs, so other keys), with a commit
	second, third := byDerivation(1, nines), byDerivation(1, nines)
	second.Outputs[0].Path += "-2"
	third.Outputs[0].Path += "-3"
	withCommit := e.write(second)
	kept := build("mybench", 1) // named with --job: an import leaves it alone
	keptID := e.write(kept)
	if got := e.named(noCommit); got != "::mybench by derivation at " {
		t.Fatalf("before the import: %s", got)
	}
	evalID, err := e.db.WriteEval(ctx, evalOf(commit(1)))
	must(t, err)
	again, err := e.db.WriteEval(ctx, evalOf(commit(1)))
	must(t, err)
	if again != evalID || e.count(`SELECT count(*) FROM nixci.eval_jobs`) != 2 {
		t.Fatalf("a second import: id %d (first %d), %d jobs", again, evalID, e.count(`SELECT count(*) FROM nixci.eval_jobs`))
	}
	for id, want := range map[int64]string{
		noCommit:   "bench:main:perf.mybench by eval at 1 in an evaluation", // the evaluation's commit
		withCommit: "bench:main:perf.mybench by eval at 9 in an evaluation", // its own commit kept
		keptID:     "bench:main:mybench by flag at 1 in an evaluation",      // its jobset's evaluation of its derivation
	} {
		if got := e.named(id); got != want {
			t.Errorf("build %d: %s, want %s", id, got, want)
		}
	}
	r := e.run(map[string]any{"queryType": "builds", "project": "bench", "jobset": "main", "job": "perf.mybench"})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 2 {
		t.Fatalf("the renamed job has %d builds, want 2", r.Frames[0].Rows())
	}
	r = e.run(map[string]any{"queryType": "metric", "project": "bench", "jobset": "main", "job": "perf.mybench", "metric": "time"})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 2 {
		t.Fatalf("the renamed job's metric has %d points, want 2", r.Frames[0].Rows())
	}
	if r = e.run(map[string]any{"queryType": "builds", "job": "mybench"}); r.Frames[0].Rows() != 1 {
		t.Fatalf("the old name still has %d builds, want the one named with --job", r.Frames[0].Rows())
	}
	// recorded after the import: named at once
	if got := e.named(e.write(third)); got != "bench:main:perf.mybench by eval at 9 in an evaluation" {
		t.Fatalf("a build recorded after the import: %s", got)
	}
}

func TestEvalImportNamesBuildsRecordedAfter(t *testing.T) {
	e := newEnv(t)
	_, err := e.db.WriteEval(context.Background(), evalOf(commit(1)))
	must(t, err)
	id := e.write(byDerivation(1, ""))
	if got := e.named(id); got != "bench:main:perf.mybench by eval at 1 in an evaluation" {
		t.Fatalf("after the import: %s", got)
	}
	if e.write(byDerivation(1, "")) != id {
		t.Fatal("a retry of a renamed build got another id")
	}
	other := e.write(byDerivation(2, "")) // a derivation no evaluation lists
	if got := e.named(other); got != "::mybench by derivation at " {
		t.Fatalf("a derivation of no evaluation: %s", got)
	}
	r := e.run(map[string]any{"queryType": "jobs", "project": "bench", "jobset": "main"})
	testutil.MustOK(t, r)
	if f := r.Frames[0]; f.Rows() != 2 || f.Fields[0].At(0).(string) != "perf.mybench" || f.Fields[2].At(0).(string) != "succeeded" {
		t.Fatalf("jobs after the import:\n%v", f)
	}
}

// A commit first seen in builds gets an implicit evaluation; importing the evaluation of
// that commit replaces it, taking its builds.
func TestEvalImportAdoptsImplicitEvaluation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ids := []int64{e.write(build("bench", 1)), e.write(build("bench", 2))}
	implicit := e.count(`SELECT id FROM nixci.evals WHERE implicit`)
	if e.count(`SELECT count(*) FROM nixci.evals`) != 1 || e.count(`SELECT count(*) FROM nixci.builds WHERE eval_id = $1`, implicit) != 2 {
		t.Fatal("the commit's builds do not share one implicit evaluation")
	}
	evalID, err := e.db.WriteEval(ctx, record.Eval{Project: "bench", Jobset: "main", Commit: commit(1), Time: t0.Add(-time.Hour),
		Jobs: []record.EvalJob{{Attr: "bench", DrvPath: "/nix/store/other.drv"}}})
	must(t, err)
	if e.count(`SELECT count(*) FROM nixci.evals`) != 1 || e.count(`SELECT count(*) FROM nixci.builds WHERE eval_id = $1`, evalID) != 2 {
		t.Fatalf("the imported evaluation did not take the implicit one's builds %v", ids)
	}
	r := e.run(map[string]any{"queryType": "evals", "project": "bench", "jobset": "main"})
	testutil.MustOK(t, r)
	if f := r.Frames[0]; f.Rows() != 1 || f.Fields[7].At(0).(int64) != 2 || f.Fields[5].At(0).(string) != commit(1) {
		t.Fatalf("evals after the import:\n%v", f)
	}
	// later builds of the commit join the imported evaluation
	id := e.write(build("bench-gpu", 1))
	if e.count(`SELECT eval_id FROM nixci.builds WHERE id = $1`, id) != int(evalID) || e.count(`SELECT count(*) FROM nixci.evals`) != 1 {
		t.Fatal("a later build of the commit made another evaluation")
	}
}

// Builds recorded while their evaluation is imported are named by it either way: before
// the import they are renamed by it, after it they are named at once.
func TestEvalImportDuringRecording(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = 60
	ev := record.Eval{Project: "bench", Jobset: "main", Commit: commit(1), Time: t0}
	for i := 1; i <= n; i++ {
		ev.Jobs = append(ev.Jobs, record.EvalJob{Attr: fmt.Sprintf("perf.job%d", i), DrvPath: drv("mybench", i)})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for w := range 4 {
		db := e.writer()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1 + w; i <= n; i += 4 {
				if _, err := db.WriteBuild(ctx, byDerivation(i, "")); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(5 * time.Millisecond) // amid the recording
		if _, err := e.writer().WriteEval(ctx, ev); err != nil {
			errs <- err
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if left := e.count(`SELECT count(*) FROM nixci.builds WHERE named_by <> 'eval'`); left != 0 {
		t.Fatalf("%d of %d builds were not named by the evaluation", left, n)
	}
	if m := e.count(`SELECT count(*) FROM nixci.metrics m JOIN nixci.builds b ON b.id = m.build_id WHERE m.job <> b.job`); m != 0 {
		t.Fatalf("%d metrics not renamed with their build", m)
	}
}
