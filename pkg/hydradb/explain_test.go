package hydradb_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydradb"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// TestPlans checks how PostgreSQL runs the Source's statements over a job of 2,000 builds
// among 62,000, enough for the planner to prefer indexes where they help.
func TestPlans(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.seedMany(t, 2_000, 60_000)
	e.bulkLoad(t, productStatements(e.store))
	t.Run("indexes", func(t *testing.T) { testIndexes(t, e) })
	t.Run("custom", func(t *testing.T) { testCustomPlans(t, e) })
}

// testIndexes checks with EXPLAIN that what a series reads walks Hydra's own indexes, not
// the tables: the listing, the metric, a build's products and outputs, and the
// evaluations and commits of the newest 900 successful builds. It logs the indexes of
// each plan ("indexes: ..."), which scripts/bench.d/hydradb prints.
func testIndexes(t *testing.T, e *env) {
	from, to := rangeFrom.Unix(), rangeTo.Unix()
	newest := make([]int64, 0, 900)
	for i := 2_000; len(newest) < cap(newest); i-- {
		if i%10 != 0 {
			newest = append(newest, jobBuildID(i, 2_000, 60_000))
		}
	}
	for _, c := range []struct {
		what  string
		sql   string
		args  []any
		index []string // every one must be in the plan
	}{
		{"listing", hydradb.BuildsSQL, []any{"bench", "main", "bench", from, to, 1001}, []string{"indexbuildsonjobsetidfinishedid"}},
		{"metric", hydradb.MetricSQL, []any{"bench", "main", "bench", "time", from, to, 1001}, []string{"indexbuildmetricsonjobtimestamp"}},
		{"products", hydradb.ProductsSQL, []any{newest[0]}, []string{"buildoutputs_pkey", "indexbuildproductsonbuild"}},
		{"origins", hydradb.OriginsSQL, []any{newest}, []string{"indexjobsetevalmembersonbuild", "jobsetevals_pkey", "jobsetevalinputs_pkey"}},
	} {
		rows, err := e.db.Query(context.Background(), "EXPLAIN "+c.sql, c.args...)
		must(t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		must(t, err)
		plan := strings.Join(lines, "\n")
		used := planIndexes(plan)
		t.Logf("indexes: %s: %s", c.what, strings.Join(used, ", "))
		for _, want := range c.index {
			if !slices.Contains(used, want) {
				t.Errorf("the %s plan does not use %s:\n%s", c.what, want, plan)
			}
		}
		if strings.Contains(plan, "Seq Scan") {
			t.Errorf("the %s plan reads a whole table:\n%s", c.what, plan)
		}
	}
}

// indexScan finds the index a plan node reads.
var indexScan = regexp.MustCompile(`(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)`)

// planIndexes lists the indexes an EXPLAIN plan reads, in order, each once.
func planIndexes(plan string) []string {
	var out []string
	for _, m := range indexScan.FindAllStringSubmatch(plan, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// testCustomPlans runs the listing, the metric and the evaluations ten times on one
// connection and checks that PostgreSQL planned each run for its window and limit: a
// prepared statement switches to a generic plan after five runs when that looks cheaper,
// and for the listing that plan sorts the job's whole history instead of walking its
// newest builds (126 ms instead of 0.8 ms at 100,000 builds).
func testCustomPlans(t *testing.T, e *env) {
	ctx := context.Background()
	src := e.open(hydradb.Options{URL: urlFor(e.dbName), Password: dbPassword, StoreDir: e.store, MaxConns: 1})
	job := query.JobRef{Project: "bench", Jobset: "main", Job: "bench"}
	w := query.Window{From: rangeFrom, To: rangeTo, Limit: 1000}
	for range 10 {
		l, err := src.Builds(ctx, job, w)
		must(t, err)
		pts, _, err := src.Metric(ctx, job, "time", w)
		must(t, err)
		evals, _, err := src.Evals(ctx, "bench", "main", w)
		must(t, err)
		if len(l.Builds) != 1000 || len(pts) != 1001 || len(evals) != 1001 {
			t.Fatalf("%d builds, %d points, %d evaluations; want 1000, 1001, 1001", len(l.Builds), len(pts), len(evals))
		}
	}
	plans, err := src.GenericPlans(ctx)
	if err != nil && strings.Contains(err.Error(), "generic_plans") {
		t.Skipf("this PostgreSQL does not count generic plans (before 14): %v", err)
	}
	must(t, err)
	for sql, n := range plans {
		if n > 0 && strings.Contains(sql, "BETWEEN") {
			t.Errorf("ran %d times with a generic plan: %s", n, strings.Join(strings.Fields(sql), " "))
		}
	}
}
