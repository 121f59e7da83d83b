// Package index is the shared build index: a small PostgreSQL schema (nixci) that
// `nixci-artifacts record --database` fills from many CI runners through DB, and that the
// plugin's index source reads through Source. Builds are named as they were recorded (or
// after the job of an imported evaluation), belong to evaluations with commits, and keep
// copies of their artifact files, stored once per content.
package index

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/pgfail"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Source answers the engine's questions from the index through a pool of read-only
// sessions, each statement bounded by the timeout. What it read of a job it keeps while
// the index's change counter stays the same (see memo.go). It is safe for concurrent use;
// Close releases the pool.
type Source struct {
	*conn

	mu      sync.Mutex
	version int // the schema version once read, 0 before

	memo      *cache.Cache  // what was read, by change (memo.go); nil when nothing is kept
	maxListed int           // most builds of a job kept, by the bytes memo takes one value of
	maxPoints int           // most points of a metric series kept, alike
	ttl       time.Duration // memoTTL; shorter in tests
	loads     atomic.Int64  // statements whose rows were kept, for the tests
	asked     atomic.Int64  // builds whose artifact a statement read, for the tests
	ahead     *ahead
}

var (
	_ query.Source     = (*Source)(nil)
	_ query.EvalSource = (*Source)(nil)
	_ query.JobSource  = (*Source)(nil)
	_ query.Catalog    = (*Source)(nil)
)

// NewSource prepares a pool for the index at o.URL without connecting yet: connection
// problems are reported by the first query or Health. A malformed URL, or one carrying a
// password, is an *query.InvalidError.
func NewSource(ctx context.Context, o Options) (*Source, error) {
	o = o.withDefaults()
	c, err := connect(ctx, o, true)
	if err != nil {
		return nil, err
	}
	s := &Source{conn: c, ahead: newAhead(), ttl: memoTTL}
	if o.CacheBytes > 0 {
		s.memo = cache.New(o.CacheBytes)
		one := o.CacheBytes / 4 // the most the cache takes as one value
		s.maxListed = int(min(query.MaxLimit, max(1, one/listedBytes)))
		s.maxPoints = int(min(query.MaxLimit, max(1, one/pointBytes)))
	}
	return s, nil
}

// Close releases the pool's connections; the Source must not be used afterwards.
func (s *Source) Close() { s.pool.Close() }

// BuildURLPrefix implements query.Source: recorded builds have no web page.
func (s *Source) BuildURLPrefix() string { return "" }

// readAttempts bounds how often a read is run again on a fresh connection when the one it
// ran on was lost (a restarted server).
const readAttempts = 3

// read runs fn within the timeout once the index's schema is known to be there, retrying
// on a lost connection; every failure comes back saying what to do.
func (s *Source) read(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var err error
	for attempt := 1; attempt <= readAttempts; attempt++ {
		if err = s.checkSchema(ctx); err == nil {
			err = fn(ctx)
		}
		if err == nil || !pgfail.Lost(err) || ctx.Err() != nil {
			break
		}
		s.pool.Reset() // a restarted server took every pooled connection with it
	}
	return s.fail(ctx, err, what)
}

// checkSchema reads the schema version once; a database without the index, or with an
// older one, is an error saying which command creates or upgrades it.
func (s *Source) checkSchema(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version > 0 {
		return nil
	}
	v, err := schemaVersion(ctx, s.pool)
	switch {
	case err != nil:
		return err
	case v == 0:
		return &query.UpstreamError{Msg: fmt.Sprintf("the database %s has no build index (no schema %s): %s", s.target, Schema, noIndex)}
	case v < NewestSchema:
		return &query.UpstreamError{Msg: fmt.Sprintf("the build index in %s has schema version %d, older than this plugin reads (%d): "+
			"run  nixci-artifacts migrate --database <this URL>  (or record once with a current nixci-artifacts) to upgrade it",
			s.target, v, NewestSchema)}
	}
	s.version = v
	return nil
}

// rows runs one query and calls scan for every row.
func (s *Source) rows(ctx context.Context, sql string, args []any, scan func(pgx.Rows) error) error {
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

// params collects a statement's bound parameters; add returns the placeholder of a value.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}
