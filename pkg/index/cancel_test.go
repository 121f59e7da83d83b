package index_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"go.uber.org/goleak"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// appName is the application_name the Source gives its sessions (the test URL sets none).
const appName = "nixci-artifacts-datasource"

// TestCancelledQueryStopsItsStatement blocks the source's statements behind a lock another
// session holds, cancels the query, and checks that the query returns, that PostgreSQL
// runs no statement of the source's pool any more (while the lock is still held, so a
// statement left running would still be there), and that closing everything leaves no
// goroutine.
func TestCancelledQueryStopsItsStatement(t *testing.T) {
	earlier := goleak.IgnoreCurrent() // goroutines of earlier tests are theirs
	// Registered first, so it runs last: after the env's pools, server and database are closed.
	t.Cleanup(func() { goleak.VerifyNone(t, earlier) })
	e := newEnv(t)
	e.seed()
	bg := context.Background()

	lock, err := e.raw.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback(bg) }()
	if _, err := lock.Exec(bg, `LOCK TABLE nixci.builds, nixci.metrics, nixci.products, nixci.contents,
		nixci.outputs, nixci.evals, nixci.eval_jobs IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	done := make(chan backend.DataResponse, 1)
	raw, _ := json.Marshal(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}))
	go func() {
		done <- e.engine.Query(ctx, backend.DataQuery{RefID: "A", JSON: raw,
			TimeRange: backend.TimeRange{From: rangeFrom, To: rangeTo}}, false)
	}()

	waiting := `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2
		AND state = 'active' AND wait_event_type = 'Lock'`
	if !e.eventually(5*time.Second, waiting, 1) {
		t.Fatal("the query never waited for the lock: the test blocks nothing")
	}
	cancel()
	select {
	case r := <-done:
		if r.Error == nil || !strings.Contains(r.Error.Error(), "cancelled") {
			t.Fatalf("want the cancellation as the query's error, got %v", r.Error)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the cancelled query did not return while its statement waits for the lock")
	}
	active := `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND state = 'active'`
	if !e.eventually(3*time.Second, active, 0) {
		t.Fatal("a statement of the cancelled query still runs in PostgreSQL")
	}

}

// eventually polls a count(*) over pg_stat_activity (parameters: the test database and
// the source's application_name) until it is want (0) or at least want (otherwise).
func (e *env) eventually(limit time.Duration, sql string, want int) bool {
	e.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var n int
		if err := e.raw.QueryRow(context.Background(), sql, e.name, appName).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		if (want == 0 && n == 0) || (want > 0 && n >= want) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
