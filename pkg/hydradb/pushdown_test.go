package hydradb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydradb"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// TestWindowAndLimitArePushedIntoSQL checks that the dashboard's time range and the
// build limit (capped by the panel's Max data points) reach the database as bound
// parameters of the listing, metric and artifact statements, that the answers hold only
// the builds inside them, that only those builds' products are read, and, with EXPLAIN
// ANALYZE, that the index scans stop at the limit rather than reading the history.
//
// The job has 300 builds ten minutes apart (every tenth failed; no other jobs, so build i
// has id i); the window holds builds 101..200, so the newest builds lie outside it.
func TestWindowAndLimitArePushedIntoSQL(t *testing.T) {
	e := newEnv(t, envOpts{noHydra: true})
	e.seedMany(t, 300, 0)
	e.bulkLoad(t, productStatements(e.store))
	e.writeProducts(t, 300)
	end := hydratest.DefaultGenEnd
	from, to := end.Add(-199*10*time.Minute), end.Add(-100*10*time.Minute)
	window := fmt.Sprintf("= %d, $%%d = %d, $%%d = %%d", from.Unix(), to.Unix())
	panel := func(q map[string]any, maxPoints int64) backend.DataResponse {
		raw, _ := json.Marshal(testutil.Job(q))
		return e.engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw, MaxDataPoints: maxPoints,
			TimeRange: backend.TimeRange{From: from, To: to}}, false)
	}
	// check wants rows builds from first to last in the frame, and the SQL and bound
	// parameters in its executed query
	check := func(what string, r backend.DataResponse, sql string, rows, first, last int, bound ...string) {
		t.Helper()
		testutil.MustOK(t, r)
		f := r.Frames[0]
		ids, _ := f.FieldByName("build")
		if ids == nil || f.Rows() != rows || ids.At(0).(int64) != int64(first) || ids.At(rows-1).(int64) != int64(last) {
			t.Fatalf("%s: want %d rows from build %d to %d, got\n%s", what, rows, first, last, table(f))
		}
		executed := f.Meta.ExecutedQueryString
		for _, want := range append(bound, strings.Join(strings.Fields(sql), " ")) {
			if !strings.Contains(executed, want) {
				t.Errorf("%s: the executed query lacks %q:\n%s", what, want, executed)
			}
		}
	}

	// builds 186..200 (oldest first): the limit of 15 as LIMIT 16 (one more tells that the limit cut)
	r := panel(map[string]any{"queryType": "builds", "limit": 15}, 0)
	check("listing", r, hydradb.BuildsSQL, 15, 186, 200, "$4 "+fmt.Sprintf(window, 5, 6, 16))
	// Max data points 20 under limit 50: the newest 20 builds of the window, 18 successful
	r = panel(map[string]any{"queryType": "artifact", "product": benchProduct, "path": "results.throughput", "limit": 50}, 20)
	check("artifact", r, hydradb.BuildsSQL, 18, 181, 199, "$4 "+fmt.Sprintf(window, 5, 6, 21),
		"then bench.json from the local store", "and the same for 17 more builds")
	// the newest 20 points of the window: builds 199..178 without 190 and 180 (failed)
	r = panel(map[string]any{"queryType": "metric", "metric": "time", "limit": 50}, 20)
	check("metric", r, hydradb.MetricSQL, 20, 178, 199, "$5 "+fmt.Sprintf(window, 6, 7, 21))

	for _, c := range []struct {
		sql   string
		args  []any
		table string
	}{
		{hydradb.BuildsSQL, []any{"bench", "main", "bench", from.Unix(), to.Unix(), 21}, "builds"},
		{hydradb.MetricSQL, []any{"bench", "main", "bench", "time", from.Unix(), to.Unix(), 21}, "buildmetrics"},
	} {
		for _, n := range scannedRows(t, e, c.table, c.sql, c.args...) {
			if n > 21 {
				t.Errorf("a scan of %s returned %d rows, more than the limit (21):\n%s", c.table, n, c.sql)
			}
		}
	}
}

// actualRows reads a plan node's "actual ... rows=N" figure.
var actualRows = regexp.MustCompile(`actual time=[0-9.]+\.\.[0-9.]+ rows=(\d+)`)

// scannedRows runs EXPLAIN ANALYZE and returns how many rows each scan of table returned.
func scannedRows(t *testing.T, e *env, table, sql string, args ...any) []int {
	t.Helper()
	rows, err := e.db.Query(context.Background(), "EXPLAIN ANALYZE "+sql, args...)
	must(t, err)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	var out []int
	for _, l := range lines {
		if m := actualRows.FindStringSubmatch(l); m != nil && strings.Contains(l, "Scan") && strings.Contains(l, " on "+table+" ") {
			n, _ := strconv.Atoi(m[1])
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no scan of %s in the plan:\n%s", table, strings.Join(lines, "\n"))
	}
	return out
}
