package index_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// benchBuilds is the size of the job's history in the design's index target: 10,000
// builds, the first query (reading every artifact) under 1 s, every later one under 10 ms.
const benchBuilds = 10_000

// BenchmarkIndex10k measures queries over a job of 10,000 builds (each with a ~300-byte
// bench.json and 3 metrics, every ten in one evaluation) beside as many builds of another
// job, through the engine with the plugin's concurrency (8 connections):
//
//   - artifact-cold: a fresh Source and cache each time: the listing, then every build's
//     artifact, then frames;
//
//   - artifact-warm: the same query again, the index unchanged: the change counter (one
//     statement each for the listing and the origins), the listing kept in memory, then
//     frames from the engine's cache;
//
//   - metric: one metric over the whole history: the first time one statement, then (the
//     index unchanged) the counter and the series kept in memory, then frames.
//
//     eval "$(scripts/postgres)"; go test -run '^$' -bench Index10k -benchtime 20x ./pkg/index/
func BenchmarkIndex10k(b *testing.B) {
	e := newEnv(b)
	e.seedMany(b, "bench", benchBuilds, 1)
	e.seedMany(b, "other", benchBuilds, benchBuilds+1)
	_, err := e.raw.Exec(context.Background(), `ANALYZE`)
	must(b, err)
	art := testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput", "limit": benchBuilds})
	check := func(b *testing.B, engine *query.Engine, q map[string]any) {
		r := runOn(engine, q)
		if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() != benchBuilds || r.Frames[0].Fields[4].At(0).(*string) == nil {
			b.Fatalf("query failed: %v, %d frames, %d rows, notices %+v", r.Error, len(r.Frames), r.Frames[0].Rows(), r.Frames[0].Meta.Notices)
		}
	}
	newEngine := func(b *testing.B) (*query.Engine, func()) {
		src, err := index.NewSource(context.Background(), e.opts(index.Options{MaxConns: 8}))
		must(b, err)
		_, err = src.Health(context.Background()) // connect and read the schema version outside the timing
		must(b, err)
		return query.NewEngine(src, cache.New(64<<20), query.Options{FullJob: false, Concurrency: 8}), src.Close
	}
	b.Run("artifact-cold", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			engine, done := newEngine(b)
			b.StartTimer()
			check(b, engine, art)
			b.StopTimer()
			done()
			b.StartTimer()
		}
	})
	engine, done := newEngine(b)
	defer done()
	b.Run("artifact-warm", func(b *testing.B) {
		check(b, engine, art)
		b.ResetTimer()
		for range b.N {
			check(b, engine, art)
		}
	})
	b.Run("metric", func(b *testing.B) {
		q := testutil.Job(map[string]any{"queryType": "metric", "metric": "time", "limit": benchBuilds})
		for range b.N {
			check(b, engine, q)
		}
	})
}

// seedMany copies n builds of bench:main:job into the index at once (COPY), ids from
// first, a minute apart, each with its own bench.json and the metrics time, maxresident
// and score, every ten builds in one evaluation of their commit.
func (e *env) seedMany(b testing.TB, job string, n, first int) {
	ctx := context.Background()
	evals := make([][]any, 0, n/10+1)
	builds := make([][]any, 0, n)
	products := make([][]any, 0, n)
	contents := make([][]any, 0, n)
	metrics := make([][]any, 0, 3*n)
	for i := range n {
		id := int64(first + i)
		t := t0.Add(time.Duration(i) * time.Minute)
		eval := int64(first/10 + i/10 + 1)
		c := fmt.Sprintf("%040x", eval)
		if i%10 == 0 {
			evals = append(evals, []any{eval, fmt.Sprintf("implicit:%d", eval), "bench", "main", c, t, true})
		}
		builds = append(builds, []any{id, fmt.Sprintf("%s:%d", job, id), "bench", "main", job, "flag", fmt.Sprintf("%s-%d", job, i),
			"x86_64-linux", c, 0, t, eval})
		doc := fmt.Appendf(nil, `{"results":{"throughput":%d.25,"latency_ms":%d.5,"errors":0},"benchmarks":[`+
			`{"name":"parse","mean":%d.125,"stddev":0.5},{"name":"render","mean":%d.75,"stddev":1.25}],`+
			`"host":{"cpu":"AMD EPYC 7B13","cores":2},"nix":{"version":"2.24.9","system":"x86_64-linux"},"job":%q}`, 1000+i, i%97, i%13, i%17, job)
		sum := sha256.Sum256(doc)
		sha := hex.EncodeToString(sum[:])
		products = append(products, []any{id, 0, "bench.json", fmt.Sprintf("/nix/store/%032d-%s/bench.json", id, job), len(doc), sha})
		contents = append(contents, []any{sha, doc})
		for _, m := range []struct {
			name, unit string
			value      float64
		}{{"time", "s", float64(200 + i%50)}, {"maxresident", "KiB", float64(1000 + i)}, {"score", "", float64(i) / 3}} {
			metrics = append(metrics, []any{id, m.name, m.value, m.unit, "bench", "main", job, t})
		}
	}
	for _, c := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"evals", []string{"id", "key", "project", "jobset", "commit", "time", "implicit"}, evals},
		{"builds", []string{"id", "key", "project", "jobset", "job", "named_by", "nix_name", "system", "commit", "status", "time", "eval_id"}, builds},
		{"products", []string{"build_id", "nr", "name", "path", "size", "sha256"}, products},
		{"contents", []string{"sha256", "data"}, contents},
		{"metrics", []string{"build_id", "name", "value", "unit", "project", "jobset", "job", "time"}, metrics},
	} {
		if _, err := e.raw.CopyFrom(ctx, pgx.Identifier{index.Schema, c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			b.Fatalf("copying %s: %v", c.table, err)
		}
	}
	_, err := e.raw.Exec(ctx, `SELECT setval('nixci.builds_id_seq', (SELECT max(id) FROM nixci.builds)),
		setval('nixci.evals_id_seq', (SELECT max(id) FROM nixci.evals))`)
	must(b, err)
}
