package index

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/pgfail"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Options configure the writer (Open) and the reader (NewSource). Zero values take the
// documented defaults.
type Options struct {
	URL              string        // postgres://user@host:port/database?sslmode=...
	Password         string        // set on the connection, never shown in a message
	MaxConns         int32         // pool size; default 4
	Timeout          time.Duration // deadline of each read, write or migration; default 30s
	MaxArtifactBytes int64         // largest artifact stored or read; default 16 MiB
	CacheBytes       int64         // what a Source keeps of listings and series between queries; default 32 MiB, < 0 nothing
}

func (o Options) withDefaults() Options {
	if o.MaxConns <= 0 {
		o.MaxConns = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxArtifactBytes <= 0 {
		o.MaxArtifactBytes = 16 << 20
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	return o
}

// conn is a pool and what messages about it say: shared by the writer and the reader.
type conn struct {
	pool     *pgxpool.Pool
	target   string // user@host:port/database
	user     string
	secret   string // the password, scrubbed from every message
	timeout  time.Duration
	maxBytes int64
}

// connect prepares a pool without dialling yet. The reader's sessions are read-only and
// bounded by statement_timeout; a password in the URL is refused there (the plugin keeps
// it in secureJsonData), while the writer accepts one (Password, when set, wins).
func connect(ctx context.Context, o Options, reader bool) (*conn, error) {
	o = o.withDefaults()
	example := "postgres://nixci@db:5432/nixci?sslmode=disable"
	if strings.TrimSpace(o.URL) == "" {
		return nil, query.Invalidf("the database URL is empty: set it to the build index's PostgreSQL, e.g. %s", example)
	}
	if !strings.HasPrefix(o.URL, "postgres://") && !strings.HasPrefix(o.URL, "postgresql://") {
		return nil, query.Invalidf("the database URL must start with postgres://, e.g. %s", example)
	}
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		return nil, query.Invalidf("the database URL is not a valid PostgreSQL URL: %s", scrub(err.Error(), o.Password, o.URL))
	}
	c := &conn{secret: o.Password, timeout: o.Timeout, maxBytes: o.MaxArtifactBytes}
	cc := cfg.ConnConfig
	switch {
	case reader && inURL(o.URL):
		return nil, query.Invalidf("the database URL contains a password: remove it from the URL and set it in the password " +
			"field (secureJsonData databasePassword), which Grafana keeps encrypted")
	case o.Password != "":
		cc.Password = o.Password
	default:
		c.secret = cc.Password
	}
	cfg.MaxConns = o.MaxConns
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = 5 * time.Minute
	if cc.ConnectTimeout == 0 || cc.ConnectTimeout > o.Timeout {
		cc.ConnectTimeout = min(o.Timeout, 10*time.Second)
	}
	rp := cc.RuntimeParams
	if rp["application_name"] == "" {
		rp["application_name"] = map[bool]string{true: "nixci-artifacts-datasource", false: "nixci-artifacts record"}[reader]
	}
	if reader {
		rp["default_transaction_read_only"] = "on"
		rp["statement_timeout"] = strconv.FormatInt(o.Timeout.Milliseconds(), 10)
	}
	c.user = cc.User
	c.target = fmt.Sprintf("%s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database)
	if c.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, query.Invalidf("the database settings cannot be used: %s", scrub(err.Error(), c.secret, ""))
	}
	return c, nil
}

// inURL reports whether a URL carries a password (pgx may also have read one from
// ~/.pgpass, which is not the URL's doing).
func inURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	_, set := u.User.Password()
	return set || u.Query().Has("password")
}

// scrub removes the password (and a URL that may carry one) from a driver's message.
func scrub(msg, secret, url string) string {
	if url != "" {
		msg = strings.ReplaceAll(msg, url, "<the database URL>")
	}
	return pgfail.Scrub(msg, secret)
}

// shown renders a statement for ExecutedQueryString: the SQL on one line, then its
// parameters.
func shown(sql string, args ...any) string {
	var b strings.Builder
	b.WriteString(strings.Join(strings.Fields(sql), " "))
	for i, a := range args {
		sep := ", "
		if i == 0 {
			sep = " -- "
		}
		fmt.Fprintf(&b, "%s$%d = ", sep, i+1)
		switch v := a.(type) {
		case string:
			b.WriteString(strconv.Quote(v))
		case time.Time:
			b.WriteString(v.UTC().Format(time.RFC3339))
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}
