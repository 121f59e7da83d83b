package hydradb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydradb"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// The tests run against a real PostgreSQL: scripts/postgres starts one and prints these.
var (
	dbURL      = os.Getenv("NIXCI_TEST_DATABASE_URL")
	dbPassword = os.Getenv("NIXCI_TEST_DATABASE_PASSWORD")
)

// updateGolden rewrites golden files; only on purpose: UPDATE_GOLDEN=1 go test ./pkg/hydradb/
var updateGolden = os.Getenv("UPDATE_GOLDEN") == "1"

const (
	dbPrefix = "nixci_hydradb_"
	fakeURL  = "http://hydra.test" // replaces the fake Hydra's random address in golden files
	fakeDir  = "/store"            // replaces the test's temporary store directory
)

var (
	setupOnce sync.Once
	setupErr  error
	template  string // database holding testdata/hydra-schema.sql, copied for every test
)

func TestMain(m *testing.M) {
	code := m.Run()
	if template != "" {
		_ = admin(context.Background(), func(c *pgx.Conn) error { return dropDB(c, template) })
	}
	os.Exit(code)
}

// needDB skips (or in CI fails) a test when no test database is configured, and makes the
// schema template once per run.
func needDB(t testing.TB) {
	t.Helper()
	if dbURL == "" {
		msg := "NIXCI_TEST_DATABASE_URL is not set: run  eval \"$(scripts/postgres)\"  first (it starts PostgreSQL and prints the variables)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	setupOnce.Do(func() { setupErr = makeTemplate() })
	if setupErr != nil {
		t.Fatalf("preparing the test database at %s: %v (is PostgreSQL up? eval \"$(scripts/postgres)\")", dbURL, setupErr)
	}
}

// admin runs fn on a connection to the configured test database.
func admin(ctx context.Context, fn func(*pgx.Conn) error) error {
	return onDB(ctx, "", fn)
}

// onDB runs fn on a connection to the named database ("" = the configured one).
func onDB(ctx context.Context, name string, fn func(*pgx.Conn) error) error {
	cfg, err := pgx.ParseConfig(urlFor(name))
	if err != nil {
		return err
	}
	cfg.Password = dbPassword
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return fn(c)
}

// urlFor is the test URL pointed at another database on the same server.
func urlFor(name string) string {
	if name == "" {
		return dbURL
	}
	u, _ := url.Parse(dbURL)
	u.Path = "/" + name
	return u.String()
}

func makeTemplate() error {
	ctx := context.Background()
	schemaSQL, err := os.ReadFile("testdata/hydra-schema.sql")
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s%d_%d_tmpl", dbPrefix, time.Now().Unix(), os.Getpid())
	err = admin(ctx, func(c *pgx.Conn) error {
		dropStale(ctx, c)
		_, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		return err
	})
	if err != nil {
		return err
	}
	template = name
	return onDB(ctx, name, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, string(schemaSQL))
		return err
	})
}

// dropStale removes test databases left by runs that died more than two hours ago.
func dropStale(ctx context.Context, c *pgx.Conn) {
	rows, err := c.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1`, dbPrefix+"%")
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, n := range names {
		ts, _, _ := strings.Cut(strings.TrimPrefix(n, dbPrefix), "_")
		if sec, err := strconv.ParseInt(ts, 10, 64); err == nil && time.Since(time.Unix(sec, 0)) > 2*time.Hour {
			_ = dropDB(c, n)
		}
	}
}

func dropDB(c *pgx.Conn, name string) error {
	_, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

var dbCounter struct {
	sync.Mutex
	n int
}

// freshDB makes a new database, dropped when the test ends: a copy of the schema
// template, or an empty one.
func freshDB(t testing.TB, withSchema bool) string {
	t.Helper()
	needDB(t)
	dbCounter.Lock()
	dbCounter.n++
	name := fmt.Sprintf("%s%d_%d_%d", dbPrefix, time.Now().Unix(), os.Getpid(), dbCounter.n)
	dbCounter.Unlock()
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if withSchema {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if err := admin(context.Background(), func(c *pgx.Conn) error { _, err := c.Exec(context.Background(), sql); return err }); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		_ = admin(context.Background(), func(c *pgx.Conn) error { return dropDB(c, name) })
	})
	return name
}

// env is one test's world: a fresh Hydra database, a fake Hydra web server (for downloads
// and the HTTP source), a local store directory, and the engine over a hydradb Source.
type env struct {
	t      testing.TB
	dbName string
	db     *pgxpool.Pool // read-write, for seeding
	srv    *hydratest.Server
	store  string
	src    *hydradb.Source
	engine *query.Engine
}

type envOpts struct {
	maxBytes int64
	noHydra  bool // no Hydra URL: no downloads, no links
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	name := freshDB(t, true)
	cfg, err := pgxpool.ParseConfig(urlFor(name))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Password = dbPassword
	db, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	srv := hydratest.New()
	t.Cleanup(srv.Close)
	e := &env{t: t, dbName: name, db: db, srv: srv, store: t.TempDir()}
	hydraURL := srv.URL
	if o.noHydra {
		hydraURL = ""
	}
	e.src = e.open(hydradb.Options{URL: urlFor(name), Password: dbPassword, HydraURL: hydraURL, StoreDir: e.store,
		MaxArtifactBytes: o.maxBytes, Timeout: 10 * time.Second})
	e.engine = query.NewEngine(e.src, cache.New(64<<20), query.Options{FullJob: true})
	return e
}

// open makes another Source, closed when the test ends.
func (e *env) open(o hydradb.Options) *hydradb.Source {
	e.t.Helper()
	src, err := hydradb.New(context.Background(), o)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(src.Close)
	return src
}

// the window covering every generated build (they end at hydratest.DefaultGenEnd)
var (
	rangeFrom = hydratest.DefaultGenEnd.Add(-365 * 24 * time.Hour)
	rangeTo   = hydratest.DefaultGenEnd.Add(24 * time.Hour)
)

func (e *env) run(q map[string]any) backend.DataResponse { return e.runRange(q, rangeFrom, rangeTo) }

func (e *env) runRange(q map[string]any, from, to time.Time) backend.DataResponse {
	return runOn(e.engine, q, from, to)
}

func runOn(engine *query.Engine, q map[string]any, from, to time.Time) backend.DataResponse {
	raw, _ := json.Marshal(q)
	return engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: from, To: to}}, false)
}

// golden compares a response with testdata/golden/NAME.jsonc after hiding random names.
func (e *env) golden(name string, r backend.DataResponse) {
	e.t.Helper()
	testutil.HideURL(r.Frames, e.srv.URL, fakeURL)
	testutil.HideURL(r.Frames, e.store, fakeDir)
	experimental.CheckGoldenJSONResponse(e.t.(*testing.T), "testdata/golden", name, &r, updateGolden)
}
