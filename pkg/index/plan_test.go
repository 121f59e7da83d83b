package index_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// TestQueriesUseTheIndexes checks with EXPLAIN that listings and metric series of a job
// among others, windowed or kept, walk an index made for them (the one that starts with
// the job, or with project and jobset, as the planner sees fit), also for a job glob.
func TestQueriesUseTheIndexes(t *testing.T) {
	e := newEnv(t)
	e.seedMany(t, "bench", 1_000, 1)
	e.seedMany(t, "other", 5_000, 1_001)
	_, err := e.raw.Exec(context.Background(), "ANALYZE")
	must(t, err)
	w := query.Window{From: rangeFrom, To: rangeTo, Limit: 100}
	full := query.JobRef{Project: "bench", Jobset: "main", Job: "bench"}
	for _, c := range []struct {
		name  string
		sql   string
		args  []any
		index string
	}{
		{"builds", "", nil, "builds_"},
		{"builds by job alone", "", nil, "builds_job_time"},
		{"builds by glob", "", nil, "builds_"},
		{"metric", "", nil, "metrics_"},
		{"metric by job alone", "", nil, "metrics_job_time"},
		{"kept listing", "", nil, "builds_"},
		{"kept listing by glob", "", nil, "builds_"},
		{"kept series", "", nil, "metrics_"},
	} {
		switch c.name {
		case "builds":
			c.sql, c.args = index.BuildsSQL(full, w)
		case "builds by job alone":
			c.sql, c.args = index.BuildsSQL(query.JobRef{Job: "bench"}, w)
		case "builds by glob":
			c.sql, c.args = index.BuildsSQL(query.JobRef{Project: "bench", Jobset: "main", Job: "ben*"}, w)
		case "metric":
			c.sql, c.args = index.MetricSQL(full, "time", w)
		case "metric by job alone":
			c.sql, c.args = index.MetricSQL(query.JobRef{Job: "bench"}, "time", w)
		case "kept listing":
			c.sql, c.args = index.ListingSQL(full, w.From, query.MaxLimit)
		case "kept listing by glob":
			c.sql, c.args = index.ListingSQL(query.JobRef{Job: "ben*"}, w.From, query.MaxLimit)
		case "kept series":
			c.sql, c.args = index.SeriesSQL(full, "time", w.From, query.MaxLimit)
		}
		rows, err := e.raw.Query(context.Background(), "EXPLAIN "+c.sql, c.args...)
		must(t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		must(t, err)
		plan := strings.Join(lines, "\n")
		if !strings.Contains(plan, " "+c.index) || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%s: the plan does not use %s:\n%s", c.name, c.index, plan)
		}
	}
}
