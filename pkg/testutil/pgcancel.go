package testutil

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Counter runs a count(*) statement with its arguments (a test's own connection to
// PostgreSQL, outside the pool under test).
type Counter func(ctx context.Context, sql string, args ...any) (int, error)

// CancelBlockedQuery runs query in the background while the caller holds a lock its
// statements need, waits until a session of application app on database db waits for
// that lock, cancels the query, and checks that it returns the cancellation as its error
// and that PostgreSQL soon runs no statement of app any more (the lock still held, so a
// statement left running would still show as active).
func CancelBlockedQuery(t testing.TB, count Counter, db, app string, query func(context.Context) backend.DataResponse) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan backend.DataResponse, 1)
	go func() { done <- query(ctx) }()

	waiting := `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2
		AND state = 'active' AND wait_event_type = 'Lock'`
	if !eventually(t, count, 5*time.Second, waiting, db, app, 1) {
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
	if !eventually(t, count, 3*time.Second, active, db, app, 0) {
		t.Fatal("a statement of the cancelled query still runs in PostgreSQL")
	}
}

// eventually polls count until it is want (0) or at least want (otherwise), within limit.
func eventually(t testing.TB, count Counter, limit time.Duration, sql, db, app string, want int) bool {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		n, err := count(context.Background(), sql, db, app)
		if err != nil {
			t.Fatal(err)
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
