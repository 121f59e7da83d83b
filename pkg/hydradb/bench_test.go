package hydradb_test

import (
	"cmp"
	"context"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"slices"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydradb"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// benchBuilds is the size of the job's history in the design's hydradb target: a metric
// over 100,000 builds in under 300 ms, within 1.5x of the same SQL run directly with pgx.
const benchBuilds = 100_000

// BenchmarkMetric100k measures one metric over a job's whole history (100,000 builds, of
// which 90,000 succeeded and have the metric; limit 100000) in a database that holds as
// many builds of 200 other jobs, with PostgreSQL's buffers warm:
//
//   - engine-cold: through the engine and a Source without cache: the metric SQL, then the
//     builds' evaluations and commits (origins SQL), then frames;
//
//   - engine-warm: the same with the instance's cache holding the origins (what every
//     refresh after the first does): the metric SQL and frames;
//
//   - pgx-metric: the metric SQL alone, run directly with pgx and scanned;
//
//   - pgx-metric+origins: both statements the cold query runs, directly with pgx (origins
//     of the newest query.MaxOrigins builds, as the engine asks for).
//
//     eval "$(scripts/postgres)"; go test -run '^$' -bench Metric100k -benchtime 20x ./pkg/hydradb/
func BenchmarkMetric100k(b *testing.B) {
	e := newEnv(b, envOpts{})
	e.seedMany(b, benchBuilds, benchBuilds)
	q := testutil.Job(map[string]any{"queryType": "metric", "metric": "time", "limit": benchBuilds})
	from, to := rangeFrom.Add(-5*365*24*time.Hour), rangeTo
	points := benchBuilds * 9 / 10 // failed builds (every tenth) have no metrics
	ctx := context.Background()
	check := func(b *testing.B, engine *query.Engine) {
		r := runOn(engine, q, from, to)
		f := r.Frames[0]
		if r.Error != nil || f.Rows() != points || f.Fields[4].At(f.Rows()-1).(*string) == nil {
			b.Fatalf("query failed: %v", r.Error)
		}
	}

	b.Run("engine-cold", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			src := e.open(hydradb.Options{URL: urlFor(e.dbName), Password: dbPassword, Timeout: time.Minute})
			engine := query.NewEngine(src, cache.New(64<<20), query.Options{FullJob: true})
			_, _ = src.Health(ctx) // connect and read the schema outside the timing
			b.StartTimer()
			check(b, engine)
		}
	})
	b.Run("engine-warm", func(b *testing.B) {
		check(b, e.engine)
		b.ResetTimer()
		for range b.N {
			check(b, e.engine)
		}
	})
	var ids []int64
	b.Run("pgx-metric", func(b *testing.B) {
		for range b.N {
			ids = directMetric(b, e, from, to, points)
		}
	})
	b.Run("pgx-metric+origins", func(b *testing.B) {
		for range b.N {
			ids = directMetric(b, e, from, to, points)
			// the engine looks up the newest query.MaxOrigins builds' commits
			slices.SortFunc(ids, func(x, y int64) int { return cmp.Compare(y, x) })
			rows, err := e.db.Query(ctx, hydradb.OriginsSQL, ids[:min(len(ids), query.MaxOrigins)])
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			var build, eval int64
			var flake, expr, name, rev *string
			for rows.Next() {
				if err := rows.Scan(&build, &eval, &flake, &expr, &name, &rev); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if rows.Err() != nil || n != min(points, query.MaxOrigins) {
				b.Fatalf("%d origins, %v", n, rows.Err())
			}
		}
	})
}

// directMetric runs the Source's metric SQL with pgx and returns the build ids.
func directMetric(b *testing.B, e *env, from, to time.Time, points int) []int64 {
	rows, err := e.db.Query(context.Background(), hydradb.MetricSQL, "bench", "main", "bench", "time", from.Unix(), to.Unix(), benchBuilds+1)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, 0, points)
	var build, ts int64
	var value float64
	var unit *string
	for rows.Next() {
		if err := rows.Scan(&build, &ts, &value, &unit); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, build)
	}
	if rows.Err() != nil || len(ids) != points {
		b.Fatalf("%d rows, %v", len(ids), rows.Err())
	}
	return ids
}
