package hydradb_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydradb"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// failing opens a Source with these options and checks that Health and a query through
// the engine both fail with a downstream error containing every one of want.
func failing(t *testing.T, e *env, o hydradb.Options, want ...string) {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	src := e.open(o)
	_, herr := src.Health(context.Background())
	t.Logf("Health: %v", herr)
	engine := query.NewEngine(src, cache.New(1<<20), query.Options{FullJob: true})
	r := runOn(engine, testutil.Job(map[string]any{"queryType": "builds"}), rangeFrom, rangeTo)
	for _, err := range []error{herr, r.Error} {
		if err == nil {
			t.Fatalf("want an error containing %q, got none", want)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
		if o.Password != "" && strings.Contains(err.Error(), o.Password) {
			t.Errorf("error shows the password: %q", err)
		}
	}
	var up *query.UpstreamError
	if !errors.As(herr, &up) || r.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("want an UpstreamError reported as downstream, got %T (%v)", herr, r.ErrorSource)
	}
}

func TestConnectionFailures(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 3})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	t.Run("connection refused", func(t *testing.T) {
		failing(t, e, hydradb.Options{URL: "postgres://hydra@" + closed + "/hydra?sslmode=disable", Password: "pw-refused"},
			"connection refused", "Check the host and port")
	})
	t.Run("wrong password", func(t *testing.T) {
		failing(t, e, hydradb.Options{URL: urlFor(e.dbName), Password: "not-the-password-42"},
			`refused the login of user "nixci"`, "databasePassword")
	})
	t.Run("no such database", func(t *testing.T) {
		failing(t, e, hydradb.Options{URL: urlFor("nixci_hydradb_missing"), Password: dbPassword}, "has no such database")
	})
	t.Run("not Hydra's database", func(t *testing.T) {
		failing(t, e, hydradb.Options{URL: urlFor(freshDB(t, false)), Password: dbPassword},
			"is not Hydra's: it has no schemaversion table", "HYDRA_DATABASE_URL")
	})
	t.Run("older than supported", func(t *testing.T) {
		old := freshDB(t, true)
		must(t, onDB(context.Background(), old, func(c *pgx.Conn) error {
			_, err := c.Exec(context.Background(), "UPDATE schemaversion SET version = 60")
			return err
		}))
		failing(t, e, hydradb.Options{URL: urlFor(old), Password: dbPassword}, "schema version 60, older than the oldest this plugin reads (72")
	})
	t.Run("password in the URL", func(t *testing.T) {
		_, err := hydradb.New(context.Background(), hydradb.Options{URL: "postgres://hydra:s3cret@db/hydra"})
		var inv *query.InvalidError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), "contains a password") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("a password in the URL: %v", err)
		}
	})
	// after all that, the working source still serves
	testutil.MustOK(t, e.run(testutil.Job(map[string]any{"queryType": "builds"})))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// terminate ends the backends of the plugin's pool on the test database, as a restarted
// server would, and returns how many there were.
func (e *env) terminate() int {
	var n int
	must(e.t.(*testing.T), admin(context.Background(), func(c *pgx.Conn) error {
		return c.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1 AND application_name = 'nixci-artifacts-datasource'`, e.dbName).Scan(&n)
	}))
	return n
}

func TestServerRestartMidQuery(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 20})
	q := testutil.Job(map[string]any{"queryType": "metric", "metric": "*"})
	// open several pooled connections, then kill them all between queries
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); testutil.MustOK(t, e.run(q)) }()
	}
	wg.Wait()
	if n := e.terminate(); n == 0 {
		t.Fatal("no pooled connection to terminate")
	}
	r := e.run(q)
	testutil.MustOK(t, r)
	if len(r.Frames) != 2 || r.Frames[0].Rows() != 20 {
		t.Fatalf("after the restart: %d frames", len(r.Frames))
	}

	// now kill the connection while its query runs: a table lock holds the query back
	ctx := context.Background()
	lock, err := pgx.Connect(ctx, urlFor(e.dbName)+"&password="+dbPassword)
	must(t, err)
	defer lock.Close(ctx)
	tx, err := lock.Begin(ctx)
	must(t, err)
	_, err = tx.Exec(ctx, "LOCK TABLE buildmetrics IN ACCESS EXCLUSIVE MODE")
	must(t, err)
	done := make(chan backend.DataResponse)
	go func() { done <- e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "time"})) }()
	waitFor(t, func() bool { return e.waiting() > 0 })
	e.terminate()
	waitFor(t, func() bool { return e.waiting() > 0 }) // the retry waits for the lock again
	must(t, tx.Rollback(ctx))
	r = <-done
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 20 {
		t.Fatalf("the query retried after its connection was killed gave %d points", r.Frames[0].Rows())
	}
}

// waiting counts the plugin's queries waiting for a lock.
func (e *env) waiting() int {
	var n int
	_ = admin(context.Background(), func(c *pgx.Conn) error {
		return c.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE datname = $1
			AND application_name = 'nixci-artifacts-datasource' AND wait_event_type = 'Lock'`, e.dbName).Scan(&n)
	})
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out waiting")
}

func TestQueryTimeout(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 3})
	src := e.open(hydradb.Options{URL: urlFor(e.dbName), Password: dbPassword, Timeout: 500 * time.Millisecond})
	ctx := context.Background()
	lock, err := pgx.Connect(ctx, fmt.Sprintf("%s&password=%s", urlFor(e.dbName), dbPassword))
	must(t, err)
	defer lock.Close(ctx)
	tx, err := lock.Begin(ctx)
	must(t, err)
	_, err = tx.Exec(ctx, "LOCK TABLE builds IN ACCESS EXCLUSIVE MODE")
	must(t, err)
	_, err = src.Builds(ctx, query.JobRef{Project: "bench", Jobset: "main", Job: "bench"},
		query.Window{From: rangeFrom, To: rangeTo, Limit: 10})
	if err == nil || !strings.Contains(err.Error(), "timeout") || !strings.Contains(err.Error(), "raise timeoutSeconds") {
		t.Fatalf("a query held past the timeout: %v", err)
	}
	must(t, tx.Rollback(ctx))
	if _, err := src.Builds(ctx, query.JobRef{Project: "bench", Jobset: "main", Job: "bench"},
		query.Window{From: rangeFrom, To: rangeTo, Limit: 10}); err != nil {
		t.Fatalf("the source does not serve after a timeout: %v", err)
	}
}

func TestSessionsAreReadOnly(t *testing.T) {
	e := newEnv(t, envOpts{})
	msg, err := e.src.Health(context.Background())
	if err != nil || strings.Contains(msg, "not read-only") {
		t.Fatalf("Health: %q, %v", msg, err)
	}
}
