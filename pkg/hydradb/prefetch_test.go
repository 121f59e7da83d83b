package hydradb_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydradb"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// TestMetricReadsEachCommitOnce runs a metric series longer than query.MaxOrigins: the
// Source starts reading the commits of the newest builds while the older points arrive,
// and the engine's own lookup right after waits for that one instead of reading them again.
// PostgreSQL's statistics count the lookups: one probe of IndexJobsetEvalMembersOnBuild
// per build.
func TestMetricReadsEachCommitOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.seedMany(t, 12_000, 0) // 10,800 points
	ctx := context.Background()
	job := query.JobRef{Project: "bench", Jobset: "main", Job: "bench"}
	// lookups counts the probes of IndexJobsetEvalMembersOnBuild once at least want more
	// than from have reached the server (a session's statistics arrive when it ends).
	lookups := func(from, want int64) int64 {
		t.Helper()
		var n int64
		for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			must(t, onDB(ctx, e.dbName, func(c *pgx.Conn) error {
				return c.QueryRow(ctx, `SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes
					WHERE indexrelname = 'indexjobsetevalmembersonbuild'`).Scan(&n)
			}))
			if n-from >= want || time.Now().After(end) {
				return n - from
			}
		}
	}
	start := lookups(0, 0)

	// the Source alone: the commits of the newest builds are read without being asked for
	alone, err := hydradb.New(ctx, hydradb.Options{URL: urlFor(e.dbName), Password: dbPassword, StoreDir: e.store})
	must(t, err)
	pts, _, err := alone.Metric(ctx, job, "time", query.Window{From: rangeFrom, To: rangeTo, Limit: 100_000})
	must(t, err)
	for end := time.Now().Add(5 * time.Second); alone.CachedOrigins() < query.MaxOrigins && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if len(pts) != 10_800 || alone.CachedOrigins() != query.MaxOrigins {
		t.Fatalf("%d points; the commits of %d builds read ahead, want %d", len(pts), alone.CachedOrigins(), query.MaxOrigins)
	}
	alone.Close()
	before := start + lookups(start, query.MaxOrigins)

	// through the engine, which asks for the same commits as soon as the series is read
	src, err := hydradb.New(ctx, hydradb.Options{URL: urlFor(e.dbName), Password: dbPassword, StoreDir: e.store})
	must(t, err)
	engine := query.NewEngine(src, cache.New(64<<20), query.Options{FullJob: true})
	r := runOn(engine, testutil.Job(map[string]any{"queryType": "metric", "metric": "time", "limit": 100_000}),
		rangeFrom, rangeTo)
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 10_800 {
		t.Fatalf("%d points, want 10,800", f.Rows())
	}
	revs, _ := f.FieldByName("revision")
	for i := range f.Rows() {
		if shown := revs.At(i).(*string) != nil; shown != (i >= f.Rows()-query.MaxOrigins) {
			t.Fatalf("point %d of %d: commit shown %v; want it for the newest %d only", i, f.Rows(), shown, query.MaxOrigins)
		}
	}
	src.Close()
	time.Sleep(200 * time.Millisecond) // a second lookup, were there one, would arrive with the first
	if got := lookups(before, query.MaxOrigins); got != query.MaxOrigins {
		t.Fatalf("%d lookups of a build's evaluation, want %d (each of the newest builds once)", got, query.MaxOrigins)
	}
}
