package index_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

func TestWriteBuildIsIdempotent(t *testing.T) {
	e := newEnv(t)
	r := build("bench", 1)
	id := e.write(r)
	// a retry, and a second runner recording the same job and output at another time
	again := r
	again.Time, again.Host = r.Time.Add(time.Minute), "runner-2"
	if e.write(r) != id || e.write(again) != id {
		t.Fatal("the same job and output got another id")
	}
	if n := e.count(`SELECT count(*) FROM nixci.builds`); n != 1 {
		t.Fatalf("%d builds, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM nixci.metrics`); n != 2 {
		t.Fatalf("%d metric rows, want 2", n)
	}
	// the same file in another build is kept once
	other := build("bench-gpu", 1)
	other.Products[0].Content = r.Products[0].Content
	e.write(other)
	if p, c := e.count(`SELECT count(*) FROM nixci.products`), e.count(`SELECT count(*) FROM nixci.contents`); p != 2 || c != 1 {
		t.Fatalf("%d products and %d contents, want 2 and 1", p, c)
	}
}

func TestWriteBuildRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := build("bench", 1)
	r.Products[0].SHA256 = strings.Repeat("0", 64)
	if _, err := e.db.WriteBuild(ctx, r); err == nil || !strings.Contains(err.Error(), "does not match its SHA-256") {
		t.Fatalf("a content that does not match its hash: %v", err)
	}
	r = build("bench", 2)
	r.Outputs = nil
	if _, err := e.db.WriteBuild(ctx, r); err == nil || !strings.Contains(err.Error(), "no output path") {
		t.Fatalf("a build without outputs: %v", err)
	}
	if _, err := e.db.WriteEval(ctx, record.Eval{Project: "bench", Time: t0}); err == nil || !strings.Contains(err.Error(), "jobset") {
		t.Fatalf("an evaluation without a jobset: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM nixci.builds`); n != 0 {
		t.Fatalf("%d builds stored", n)
	}
}

// A product recorded by hash only, or over the writer's limit, keeps its row but no
// content: reading it is ErrNoArtifact, and so is a product never recorded.
func TestArtifactWithoutContent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := build("bench", 1)
	r.Products = append(r.Products, record.Artifact{Name: "hash-only.json", Path: "/x/hash-only.json",
		SHA256: strings.Repeat("cd", 32), Size: 10})
	id := e.write(r)
	big := build("bench", 2)
	big.Products[0].Content = []byte(`{"pad":"` + strings.Repeat("x", 200) + `"}`)
	small, err := index.Open(ctx, e.opts(index.Options{MaxArtifactBytes: 100}))
	must(t, err)
	defer small.Close()
	bigID, err := small.WriteBuild(ctx, big)
	must(t, err)
	for _, c := range []struct {
		id            int64
		product, want string
	}{
		{id, "hash-only.json", "recorded without its content"},
		{bigID, "bench.json", "recorded without its content"},
		{id, "nope.json", "has no product nope.json"},
	} {
		_, err := e.src.Artifact(ctx, query.Build{ID: c.id, Finished: true}, c.product)
		if !errors.Is(err, query.ErrNoArtifact) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s of build %d: %v", c.product, c.id, err)
		}
	}
	body, err := e.src.Artifact(ctx, query.Build{ID: id, Finished: true}, "bench.json")
	if err != nil || string(body) != string(benchDoc(1)) {
		t.Fatalf("bench.json: %q, %v", body, err)
	}
}

// Eight runners, each with its own pool, record 50 builds each at once, plus the same 10
// builds every one of them; builds share commits, so implicit evaluations are made at once
// too. Nothing is lost, nothing doubled.
func TestConcurrentWriters(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const runners, each, shared = 8, 50, 10
	var wg sync.WaitGroup
	errs := make(chan error, runners)
	for w := range runners {
		db := e.writer()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= each+shared; i++ {
				r := build(fmt.Sprintf("job-%d", w), i)
				if i > each {
					r = build("shared", i)
				}
				if _, err := db.WriteBuild(ctx, r); err != nil {
					errs <- fmt.Errorf("runner %d, build %d: %w", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM nixci.builds`); n != runners*each+shared {
		t.Fatalf("%d builds, want %d", n, runners*each+shared)
	}
	commits := e.count(`SELECT count(DISTINCT commit) FROM nixci.builds`)
	if n := e.count(`SELECT count(*) FROM nixci.evals WHERE implicit`); n != commits {
		t.Fatalf("%d implicit evaluations for %d commits", n, commits)
	}
	if n := e.count(`SELECT count(*) FROM nixci.builds WHERE eval_id IS NULL`); n != 0 {
		t.Fatalf("%d builds without their commit's evaluation", n)
	}
	// every evaluation's time is that of its earliest build
	if n := e.count(`SELECT count(*) FROM nixci.evals e WHERE time <> (SELECT min(time) FROM nixci.builds WHERE eval_id = e.id)`); n != 0 {
		t.Fatalf("%d implicit evaluations not at their first build", n)
	}
}
