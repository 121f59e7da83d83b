package index_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// The tests run against a real PostgreSQL, one fresh database per test:
//
//	eval "$(scripts/postgres)"; go test ./pkg/index/
var (
	testURL      = os.Getenv("NIXCI_TEST_DATABASE_URL")
	testPassword = os.Getenv("NIXCI_TEST_DATABASE_PASSWORD")
)

// updateGolden rewrites golden files, only on purpose: UPDATE_GOLDEN=1 go test ./pkg/index/
var updateGolden = os.Getenv("UPDATE_GOLDEN") == "1"

// dbPrefix names this package's test databases; dbSeq keeps them apart within a run.
const dbPrefix = "nixci_index_"

var dbSeq atomic.Int64

// needDB skips a test when no test database is configured, or fails it in CI.
func needDB(t testing.TB) {
	t.Helper()
	if testURL != "" {
		return
	}
	msg := `NIXCI_TEST_DATABASE_URL is not set: run  eval "$(scripts/postgres)"  first (it starts PostgreSQL and prints the variables)`
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// dbURL is the test URL pointed at database name ("" = the configured one).
func dbURL(name string) string {
	if name == "" {
		return testURL
	}
	u, _ := url.Parse(testURL)
	u.Path = "/" + name
	return u.String()
}

// execOn runs statements on a short connection to database name.
func execOn(ctx context.Context, name string, sqls ...string) error {
	cfg, err := pgx.ParseConfig(dbURL(name))
	if err != nil {
		return err
	}
	cfg.Password = testPassword
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	for _, sql := range sqls {
		if _, err := c.Exec(ctx, sql); err != nil {
			return fmt.Errorf("%s: %w", sql, err)
		}
	}
	return nil
}

// freshDB creates an empty database, dropped when the test ends. Databases left by runs
// that died over two hours ago are dropped first.
func freshDB(t testing.TB) string {
	t.Helper()
	needDB(t)
	ctx := context.Background()
	name := fmt.Sprintf("%s%d_%d_%d", dbPrefix, time.Now().Unix(), os.Getpid(), dbSeq.Add(1))
	dropStale(ctx)
	if err := execOn(ctx, "", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("creating the test database (is PostgreSQL up? eval \"$(scripts/postgres)\"): %v", err)
	}
	t.Cleanup(func() {
		_ = execOn(context.Background(), "", "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	return name
}

func dropStale(ctx context.Context) {
	cfg, err := pgxpool.ParseConfig(testURL)
	if err != nil {
		return
	}
	cfg.ConnConfig.Password = testPassword
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return
	}
	defer pool.Close()
	rows, _ := pool.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1`, dbPrefix+"%")
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, n := range names {
		born, _, _ := strings.Cut(strings.TrimPrefix(n, dbPrefix), "_")
		if sec, err := strconv.ParseInt(born, 10, 64); err == nil && time.Since(time.Unix(sec, 0)) > 2*time.Hour {
			_, _ = pool.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)")
		}
	}
}

// env is one test's index: a fresh migrated database, a writer, a raw pool for checks,
// and the engine over a Source, all closed when the test ends.
type env struct {
	t      testing.TB
	name   string
	db     *index.DB
	raw    *pgxpool.Pool
	src    *index.Source
	engine *query.Engine
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return openEnv(t, freshDB(t))
}

// openEnv is newEnv on an existing database, migrated first.
func openEnv(t testing.TB, name string) *env {
	t.Helper()
	e := &env{t: t, name: name}
	e.db = e.writer()
	must(t, e.db.Migrate(context.Background()))
	cfg, err := pgxpool.ParseConfig(dbURL(e.name))
	must(t, err)
	cfg.ConnConfig.Password = testPassword
	e.raw, err = pgxpool.NewWithConfig(context.Background(), cfg)
	must(t, err)
	t.Cleanup(e.raw.Close)
	e.src = e.source(index.Options{})
	e.engine = engineOf(e.src)
	return e
}

// engineOf is the engine over src as the plugin runs the index: jobs need no project.
func engineOf(src *index.Source) *query.Engine {
	return query.NewEngine(src, cache.New(64<<20), query.Options{FullJob: false})
}

// opts are the options of the test database, with o's limits.
func (e *env) opts(o index.Options) index.Options {
	o.URL, o.Password = dbURL(e.name), testPassword
	if o.Timeout == 0 {
		o.Timeout = 20 * time.Second
	}
	return o
}

// writer opens another writer (a runner), closed when the test ends.
func (e *env) writer() *index.DB {
	e.t.Helper()
	db, err := index.Open(context.Background(), e.opts(index.Options{}))
	must(e.t, err)
	e.t.Cleanup(db.Close)
	return db
}

// source opens another Source, closed when the test ends.
func (e *env) source(o index.Options) *index.Source {
	e.t.Helper()
	src, err := index.NewSource(context.Background(), e.opts(o))
	must(e.t, err)
	e.t.Cleanup(src.Close)
	return src
}

// count runs a count query on the raw pool.
func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	must(e.t, e.raw.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func (e *env) run(q map[string]any) backend.DataResponse { return runOn(e.engine, q) }

func runOn(engine *query.Engine, q map[string]any) backend.DataResponse {
	raw, _ := json.Marshal(q)
	return engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: rangeFrom, To: rangeTo}}, false)
}

// golden compares a response with testdata/golden/NAME.jsonc.
func (e *env) golden(name string, r backend.DataResponse) {
	e.t.Helper()
	experimental.CheckGoldenJSONResponse(e.t.(*testing.T), "testdata/golden", name, &r, updateGolden)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
