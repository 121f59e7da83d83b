package plugin

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"
)

// These tests break a database under a query that is already running, through a whole
// datasource instance: PostgreSQL restarting (its backends terminated) for the hydradb and
// index sources, and the Nix daemon holding its database's write lock for the store source.
// The instance must answer the query, or give a downstream error saying to try again, and
// serve the next query.

// waitingBackends lists the instance's connections to the database of dbURL that wait for
// a lock.
func waitingBackends(t *testing.T, dbURL, password string) []int32 {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	c := connectPG(t, dbURL, password)
	defer c.Close(context.Background())
	rows, err := c.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'
		AND datname = $1 AND application_name = 'nixci-artifacts-datasource'`, strings.TrimPrefix(u.Path, "/"))
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// terminate ends one backend, as a restarting server ends them all.
func terminate(t *testing.T, dbURL, password string, pid int32) {
	t.Helper()
	c := connectPG(t, dbURL, password)
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting until %s", what)
}

func TestDatabaseRestartedMidQuery(t *testing.T) {
	indexURL, indexPassword := seededIndex(t)
	hydraURL, hydraPassword := hydraDatabase(t)
	for _, tc := range []struct {
		name, dbURL, password, settings, query, table string
	}{
		{"index", indexURL, indexPassword, settingsJSON(map[string]any{"source": "index", "database": indexURL}),
			`{"queryType":"builds","job":"bench"}`, "nixci.builds"},
		{"hydradb", hydraURL, hydraPassword, settingsJSON(map[string]any{"source": "hydradb", "database": hydraURL}),
			`{"queryType":"metric","project":"p","jobset":"j","job":"bench","metric":"time"}`, "buildmetrics"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secure := map[string]string{"databasePassword": tc.password}
			ctx := context.Background()
			// lock the table the query reads, start the query on a fresh instance, and
			// terminate its connections while it waits, kills times
			killedQuery := func(kills int) backend.DataResponse {
				d := newInstance(t, "", tc.settings, secure)
				lock := connectPG(t, tc.dbURL, tc.password)
				tx, err := lock.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Exec(ctx, "LOCK TABLE "+tc.table+" IN ACCESS EXCLUSIVE MODE"); err != nil {
					t.Fatal(err)
				}
				done := make(chan backend.DataResponse, 1)
				go func() { done <- faultQuery(t, d, tc.query) }()
				// kill each new connection the query waits on; after fewer kills than the
				// sources' three attempts, the next one waits too and is let through
				killed := map[int32]bool{}
				newWaiter := func() (pid int32) {
					eventually(t, "the query waits for the lock on a new connection", func() bool {
						for _, p := range waitingBackends(t, tc.dbURL, tc.password) {
							if !killed[p] {
								pid = p
								return true
							}
						}
						return false
					})
					return pid
				}
				for range kills {
					pid := newWaiter()
					killed[pid] = true
					terminate(t, tc.dbURL, tc.password, pid)
				}
				if kills < 3 {
					newWaiter()
				}
				if err := tx.Rollback(ctx); err != nil {
					t.Fatal(err)
				}
				r := <-done
				wantRows(t, "the same instance afterwards", faultQuery(t, d, tc.query), rowsOf(tc.name))
				return r
			}
			wantRows(t, "restarted twice mid-query (retried)", killedQuery(2), rowsOf(tc.name))
			wantFault(t, "restarted at every attempt", killedQuery(3), "try again")
		})
	}
}

// rowsOf is how many rows the restart test's query answers on each source's seed.
func rowsOf(source string) int {
	if source == "index" {
		return 2
	}
	return 1
}

func TestNixDatabaseLockedByTheDaemon(t *testing.T) {
	storeDir, stateDir := madeUpStore(t)
	d := newInstance(t, "", settingsJSON(map[string]any{"source": "store", "storeDir": storeDir, "nixStateDir": stateDir}), nil)
	db, err := sql.Open("sqlite", filepath.Join(stateDir, "db", "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	wantFault(t, "locked before the first query", faultQuery(t, d, faultArtifactQuery), "locked by the daemon: try again")
	wantUnhealthy(t, "locked", d, "locked")
	if _, err := lock.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	wantRows(t, "unlocked", faultQuery(t, d, faultArtifactQuery), 1)
}
