package hydra_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// TestOriginOfABuildNewerThanTheKeptPagesIsLookedUpAgain: pages of evaluations are kept
// for the listing TTL, so a build evaluated after they were read is not on them. Its
// missing commit must not be remembered: once the pages expire it is found.
func TestOriginOfABuildNewerThanTheKeptPagesIsLookedUpAgain(t *testing.T) {
	ttl := 200 * time.Millisecond
	e := newEnv(t, envOpts{listTTL: ttl})
	old := hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 3})
	ctx := context.Background()
	job := query.JobRef{Project: "bench", Jobset: "main", Job: "bench"}
	builds := func(bs []hydratest.Build) []query.Build {
		var out []query.Build
		for _, b := range bs {
			out = append(out, query.Build{ID: b.ID, Job: job, Finished: true, Timestamp: time.Unix(b.Timestamp, 0)})
		}
		return out
	}
	got, err := e.src.Origins(ctx, job, builds(old))
	if err != nil || len(got) != 3 {
		t.Fatalf("origins of the first builds: %v, %v", got, err)
	}
	// a new evaluation adds build 4 while page 1 is still kept
	fresh := hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 1, FirstID: 4, End: hydratest.DefaultGenEnd.Add(time.Hour)})
	if got, err := e.src.Origins(ctx, job, builds(fresh)); err != nil || len(got) != 0 {
		t.Fatalf("build 4 was found on a page read before its evaluation existed: %v, %v", got, err)
	}
	time.Sleep(ttl + 50*time.Millisecond) // let the kept pages expire
	got, err = e.src.Origins(ctx, job, builds(fresh))
	if err != nil || got[4].Eval != 4 || got[4].Revision == "" {
		t.Fatalf("build 4's evaluation and commit after the pages expired: %+v, %v", got, err)
	}
}

// TestJobsOfOneJobsetShareTheirEvaluationPages: every job of a jobset walks the jobset's
// evaluations for its commits; the second walk reads the pages the first one kept.
func TestJobsOfOneJobsetShareTheirEvaluationPages(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{Job: "a", N: 60})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{Job: "b", N: 60, FirstID: 1001, FirstEvalID: 1001})
	for _, job := range []string{"a", "b"} {
		q := seriesOf(60)
		q["job"] = job
		if r := e.run(q); r.Error != nil || r.Frames[0].Rows() != 60 {
			t.Fatalf("job %s: %v", job, r.Error)
		}
	}
	pages := 0
	for k, n := range e.srv.Requests() {
		if n > 1 {
			t.Errorf("%s was requested %d times", k, n)
		}
		if strings.Contains(k, "/evals?page=") {
			pages++
		}
	}
	if pages == 0 {
		t.Fatal("no page of evaluations was read: the test no longer exercises the walk")
	}
}
