// Package hydradb answers the engine's questions straight from Hydra's PostgreSQL
// database: builds (unfinished ones too), metrics, products, evaluations and their
// commits. Every query is read-only, bounded by a timeout, and pushes its time window and
// limit into SQL with bound parameters. Product files are read from the local Nix store
// when Grafana runs on the Hydra host, otherwise downloaded from Hydra's web server.
package hydradb

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/pgfail"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Options configure a Source. Zero values take the documented defaults.
type Options struct {
	URL              string        // postgres://user@host:port/db?sslmode=..., without a password
	Password         string        // set on the pool's config, never put in a URL or a message
	HydraURL         string        // Hydra's base URL, for build links and product downloads ("" = neither)
	StoreDir         string        // the local Nix store products are read from when present; default /nix/store
	MaxConns         int           // pool size; default 4
	Timeout          time.Duration // deadline of each query and download; default 30s
	MaxArtifactBytes int64         // largest product read; default 16 MiB
	HTTP             *http.Client  // for downloads; default a client without its own timeout
}

// Source reads one Hydra's database through a pool of read-only connections. It is safe
// for concurrent use; Close releases the pool.
type Source struct {
	pool   *pgxpool.Pool
	opts   Options
	target string // user@host:port/database, for messages

	mu     sync.Mutex
	schema *schema // nil until read successfully

	originCache *originCache
	flights     flights // origin lookups under way
}

var (
	_ query.Source     = (*Source)(nil)
	_ query.EvalSource = (*Source)(nil)
	_ query.JobSource  = (*Source)(nil)
	_ query.Catalog    = (*Source)(nil)
)

// New prepares a pool for the database at o.URL without connecting yet: connection
// problems are reported by the first query or Health. A malformed URL, or one that
// carries a password, is an *query.InvalidError.
func New(ctx context.Context, o Options) (*Source, error) {
	o = withDefaults(o)
	if !filepath.IsAbs(o.StoreDir) {
		return nil, query.Invalidf("storeDir %q must be an absolute path such as /nix/store", o.StoreDir)
	}
	cfg, err := poolConfig(o)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, query.Invalidf("the database settings cannot be used: %s", pgfail.Scrub(err.Error(), o.Password))
	}
	c := cfg.ConnConfig
	target := fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
	return &Source{pool: pool, opts: o, target: target, originCache: newOriginCache(originCacheBytes)}, nil
}

func withDefaults(o Options) Options {
	if o.StoreDir == "" {
		o.StoreDir = "/nix/store"
	}
	o.StoreDir = filepath.Clean(o.StoreDir)
	o.HydraURL = strings.TrimRight(strings.TrimSpace(o.HydraURL), "/")
	if o.MaxConns <= 0 {
		o.MaxConns = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxArtifactBytes <= 0 {
		o.MaxArtifactBytes = 16 << 20
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	return o
}

// poolConfig parses the URL and makes every session read-only, bounded and named.
func poolConfig(o Options) (*pgxpool.Config, error) {
	if strings.TrimSpace(o.URL) == "" {
		return nil, query.Invalidf("the database URL is empty: set it to Hydra's database, e.g. postgres://hydra@db:5432/hydra?sslmode=disable")
	}
	if !strings.HasPrefix(o.URL, "postgres://") && !strings.HasPrefix(o.URL, "postgresql://") {
		return nil, query.Invalidf("the database URL must start with postgres://, e.g. postgres://hydra@db:5432/hydra?sslmode=disable")
	}
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		return nil, query.Invalidf("the database URL is not a valid PostgreSQL URL: %s", pgfail.Scrub(err.Error(), o.Password))
	}
	if cfg.ConnConfig.Password != "" {
		return nil, query.Invalidf("the database URL contains a password: remove it from the URL and set it in the password field (secureJsonData databasePassword), which Grafana keeps encrypted")
	}
	cfg.ConnConfig.Password = o.Password
	cfg.MaxConns = int32(o.MaxConns)
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 30 * time.Second
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > o.Timeout {
		cfg.ConnConfig.ConnectTimeout = min(o.Timeout, 10*time.Second)
	}
	rp := cfg.ConnConfig.RuntimeParams
	rp["default_transaction_read_only"] = "on" // the plugin never writes; a server-side guard too
	rp["statement_timeout"] = strconv.FormatInt(o.Timeout.Milliseconds(), 10)
	if rp["application_name"] == "" {
		rp["application_name"] = "nixci-artifacts-datasource"
	}
	return cfg, nil
}

// Close releases the pool's connections; the Source must not be used afterwards.
func (s *Source) Close() { s.pool.Close() }

// BuildURLPrefix implements query.Source: Hydra's build pages, when its URL is known.
func (s *Source) BuildURLPrefix() string {
	if s.opts.HydraURL == "" {
		return ""
	}
	return s.opts.HydraURL + "/build/"
}

// maxAttempts bounds how often a query is retried on a fresh connection when the one it
// ran on was lost (server restarted, connection terminated). Reads are safe to repeat.
const maxAttempts = 3

// read runs fn under the per-query timeout once the schema is known to be Hydra's. A
// lost connection is retried on another; every failure comes back as a clear error.
func (s *Source) read(ctx context.Context, what string, fn func(ctx context.Context, sc *schema) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		var sc *schema
		if sc, err = s.loadSchema(ctx); err == nil {
			err = fn(ctx, sc)
		}
		if err == nil || !pgfail.Lost(err) || ctx.Err() != nil {
			break
		}
		// A restarted server took every pooled connection with it: drop them all (those in
		// use are closed when returned) so the retry dials afresh.
		s.pool.Reset()
	}
	return s.upstream(ctx, err, what)
}

// rows runs one query and calls scan for every row.
func (s *Source) rows(ctx context.Context, sql string, args []any, scan func(rowScanner) error) error {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// planned prepends to a statement's arguments the mode in which PostgreSQL plans it for
// the values it runs with, every time (pgx's unnamed statement, its description cached).
// Statements bounded by a time window and a limit need it: after five runs of a prepared
// statement on one connection, PostgreSQL switches to a generic plan, made without the
// values, when that looks cheaper, and for the builds listing that plan sorts the job's
// whole history instead of walking its newest builds (0.8 ms became 126 ms at 100,000
// builds). Planning costs a fraction of a millisecond.
func planned(args []any) []any { return append([]any{pgx.QueryExecModeCacheDescribe}, args...) }

// shown renders a query for ExecutedQueryString: the SQL on one line and its parameters.
func shown(sql string, args ...any) string {
	var b strings.Builder
	b.WriteString(strings.Join(strings.Fields(sql), " "))
	for i, a := range args {
		if i == 0 {
			b.WriteString(" -- ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d = ", i+1)
		if str, ok := a.(string); ok {
			b.WriteString(strconv.Quote(str))
		} else {
			fmt.Fprint(&b, a)
		}
	}
	return b.String()
}

// unixRange is a window's bounds in Unix seconds, as Hydra stores times.
func unixRange(w query.Window) (int64, int64) { return w.From.Unix(), w.To.Unix() }

func unix(sec *int64) time.Time {
	if sec == nil || *sec == 0 {
		return time.Time{}
	}
	return time.Unix(*sec, 0).UTC()
}
