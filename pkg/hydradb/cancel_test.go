package hydradb_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"go.uber.org/goleak"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// appName is the application_name the Source gives its sessions (the test URL sets none).
const appName = "nixci-artifacts-datasource"

// TestCancelledQueryStopsItsStatement blocks the source's statements behind a lock another
// session holds and cancels the query (testutil.CancelBlockedQuery: it returns, and no
// statement of the source's pool runs any more); closing everything leaves no goroutine.
func TestCancelledQueryStopsItsStatement(t *testing.T) {
	earlier := goleak.IgnoreCurrent() // goroutines of earlier tests are theirs
	// Registered first, so it runs last: after the env's pools, server and database are closed.
	t.Cleanup(func() { goleak.VerifyNone(t, earlier) })
	e := newEnv(t, envOpts{noHydra: true})
	e.generate(hydratest.GenOptions{N: 50})
	bg := context.Background()

	lock, err := e.db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback(bg) }()
	if _, err := lock.Exec(bg, "LOCK TABLE builds, buildmetrics IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	raw, _ := json.Marshal(testutil.Job(map[string]any{"queryType": "metric", "metric": "time"}))
	count := func(ctx context.Context, sql string, args ...any) (n int, err error) {
		err = e.db.QueryRow(ctx, sql, args...).Scan(&n)
		return n, err
	}
	testutil.CancelBlockedQuery(t, count, e.dbName, appName, func(ctx context.Context) backend.DataResponse {
		return e.engine.Query(ctx, backend.DataQuery{RefID: "A", JSON: raw,
			TimeRange: backend.TimeRange{From: rangeFrom, To: rangeTo}}, false)
	})
}
