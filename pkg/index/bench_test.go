package index_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// BenchmarkIndex measures queries over a job of n builds (each with a ~300-byte
// bench.json and 3 metrics, every ten in one evaluation) beside as many builds of another
// job, through the engine with the plugin's concurrency (8 connections), asking for the
// whole history (limit n). Each case runs beside its baseline in the same iteration (see
// testutil.SideBySide), the Source's own statements run directly with pgx:
//
//   - artifact/cold: a fresh Source and cache: the listing, every build's artifact (read
//     ahead 500 builds a statement), origins, frames. Baseline: plainArtifacts, the
//     listing and the artifact statements one after another, values taken with gjson.
//
//   - artifact/warm: the same query again, the index unchanged: the change counter, the
//     listing kept in memory (up to the Source's bound), frames from the engine's cache.
//     Baseline: plainListing, the listing statement alone, which is what a refresh costs
//     without the kept listing.
//
//   - metric/cold, metric/warm: one metric over the whole history on a fresh Source (the
//     series, then the listing of the newest query.MaxOrigins builds for their commits),
//     and again on the same one (then the counter, and the series and listing kept in
//     memory). Baseline for both: plainMetric and plainListing, the metric statement and
//     the listing of as many builds.
//
// Sizes are 1,000, 10,000 and 100,000 builds; -short runs 1,000 only. The design's target
// is at 10,000: a first query under 1 s and every later one under 10 ms.
//
//	eval "$(scripts/postgres)"; go test -run '^$' -bench 'BenchmarkIndex/n=10000$/' -benchtime 10x ./pkg/index/
func BenchmarkIndex(b *testing.B) {
	sizes := []int{1_000, 10_000, 100_000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchIndex(b, n) })
	}
}

func benchIndex(b *testing.B, n int) {
	ctx := context.Background()
	e := newEnv(b)
	start := time.Now()
	e.seedMany(b, "bench", n, 1)
	e.seedMany(b, "other", n, n+1)
	_, err := e.raw.Exec(ctx, `ANALYZE`)
	must(b, err)
	seeded(n, time.Since(start))

	job := query.JobRef{Project: "bench", Jobset: "main", Job: "bench"}
	w := query.Window{From: t0.Add(-time.Hour), To: t0.Add(time.Duration(n)*time.Minute + time.Hour), Limit: n}
	art := testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput", "limit": n})
	met := testutil.Job(map[string]any{"queryType": "metric", "metric": "time", "limit": n})
	run := func(b *testing.B, engine *query.Engine, q map[string]any) {
		raw, _ := json.Marshal(q)
		r := engine.Query(ctx, backend.DataQuery{RefID: "A", JSON: raw, TimeRange: backend.TimeRange{From: w.From, To: w.To}}, false)
		if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() != n {
			b.Fatalf("query failed: %v, %d frames", r.Error, len(r.Frames))
		}
		if commit, _ := r.Frames[0].Fields[4].At(n - 1).(*string); commit == nil {
			b.Fatalf("the newest point has no commit: %+v", r.Frames[0].Meta.Notices)
		}
	}
	var engine *query.Engine
	var src *index.Source
	var conn *pgx.Conn // the baseline's
	closeAll := func() {
		if src != nil {
			src.Close()
		}
		if conn != nil {
			must(b, conn.Close(ctx))
		}
		src, conn = nil, nil
	}
	defer closeAll()
	// fresh starts a new Source and engine, and a new connection for the baseline, each
	// connected outside the timing (more connections the Source opens count in its time).
	fresh := func(b *testing.B) {
		closeAll()
		var err error
		src, err = index.NewSource(ctx, e.opts(index.Options{MaxConns: 8}))
		must(b, err)
		_, err = src.Health(ctx) // connect and read the schema version
		must(b, err)
		engine = query.NewEngine(src, cache.New(64<<20), query.Options{FullJob: false, Concurrency: 8})
		cfg, err := pgx.ParseConfig(dbURL(e.name))
		must(b, err)
		cfg.Password = testPassword
		conn, err = pgx.ConnectConfig(ctx, cfg)
		must(b, err)
	}
	artifacts := func(b *testing.B) {
		got, err := plainArtifacts(ctx, conn, job, w, "bench.json", "results.throughput")
		mustCount(b, "artifacts", got, err, n)
	}
	listing := func(w query.Window) func(b *testing.B) {
		return func(b *testing.B) {
			ids, rows, err := plainListing(ctx, conn, job, w)
			mustCount(b, "listing", len(ids), err, rows)
			mustCount(b, "listing", rows, nil, min(n, w.Limit+1)) // one more tells that Limit cut it
		}
	}
	origins := listing(query.Window{From: w.From, To: w.To, Limit: min(n, query.MaxOrigins)})
	metric := func(b *testing.B) {
		got, err := plainMetric(ctx, conn, job, "time", w)
		mustCount(b, "metric", got, err, n)
		origins(b)
	}
	b.Run("artifact/cold", func(b *testing.B) {
		testutil.SideBySide(b, 1, fresh, func(b *testing.B) { run(b, engine, art) }, artifacts)
	})
	b.Run("artifact/warm", func(b *testing.B) {
		fresh(b)
		run(b, engine, art)
		testutil.SideBySide(b, 1, nil, func(b *testing.B) { run(b, engine, art) }, listing(w))
	})
	b.Run("metric/cold", func(b *testing.B) {
		testutil.SideBySide(b, 1, fresh, func(b *testing.B) { run(b, engine, met) }, metric)
	})
	b.Run("metric/warm", func(b *testing.B) {
		fresh(b)
		run(b, engine, met)
		testutil.SideBySide(b, 1, nil, func(b *testing.B) { run(b, engine, met) }, metric)
	})
}
