package index_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tidwall/gjson"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// The baselines of the index benchmark: the Source's own statements run directly with pgx
// on one connection, one after another, their rows scanned into plain values (and the
// artifacts' values taken with gjson), with no engine, cache or memo around them.

// querier is a pgx connection or pool.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// plainListing runs the windowed listing (buildsSQL) and returns the ids of the builds
// that succeeded, newest first, and how many rows it read.
func plainListing(ctx context.Context, db querier, job query.JobRef, w query.Window) ([]int64, int, error) {
	sql, args := index.BuildsSQL(job, w)
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var ok []int64
	n := 0
	for rows.Next() {
		var id int64
		var project, jobset, name *string
		var at time.Time
		var status int
		var nixName, system, commit string
		var eval *int64
		if err := rows.Scan(&id, &project, &jobset, &name, &at, &status, &nixName, &system, &eval, &commit); err != nil {
			return nil, n, err
		}
		n++
		if status == 0 {
			ok = append(ok, id)
		}
	}
	return ok, n, rows.Err()
}

// plainArtifacts is the floor of a first artifact query: the listing, then the artifact
// statement for index.BatchSize builds at a time, each content's value taken with gjson.
// It returns how many values it found.
func plainArtifacts(ctx context.Context, db querier, job query.JobRef, w query.Window, product, path string) (int, error) {
	ids, _, err := plainListing(ctx, db, job, w)
	if err != nil {
		return 0, err
	}
	found := 0
	for batch := range slices.Chunk(ids, index.BatchSize) {
		rows, err := db.Query(ctx, index.ArtifactsSQL, batch, product, index.PathPattern(product), int64(index.SmallBytes))
		if err != nil {
			return found, err
		}
		for rows.Next() {
			var id, size int64
			var name string
			var kept bool
			var length *int64
			var body []byte
			if err := rows.Scan(&id, &name, &size, &kept, &length, &body); err != nil {
				rows.Close()
				return found, err
			}
			if gjson.GetBytes(body, path).Exists() {
				found++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return found, err
		}
	}
	return found, nil
}

// plainMetric runs the windowed metric statement (metricSQL) and returns how many points
// it read.
func plainMetric(ctx context.Context, db querier, job query.JobRef, name string, w query.Window) (int, error) {
	sql, args := index.MetricSQL(job, name, w)
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	pts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (query.MetricPoint, error) {
		var p query.MetricPoint
		err := r.Scan(&p.Build, &p.Timestamp, &p.Value, &p.Unit)
		return p, err
	})
	return len(pts), err
}

// mustCount fails the benchmark unless a baseline found want rows.
func mustCount(b *testing.B, what string, got int, err error, want int) {
	b.Helper()
	if err != nil || got != want {
		b.Fatalf("%s: %d rows (want %d): %v", what, got, want, err)
	}
}

// seeded says on stderr how long seeding took, which is no part of any timing.
func seeded(n int, took time.Duration) {
	fmt.Fprintf(os.Stderr, "index benchmark: seeded %d builds of bench and %d of other (%d metrics, %d artifacts) in %.1f s\n",
		n, n, 6*n, 2*n, took.Seconds())
}
